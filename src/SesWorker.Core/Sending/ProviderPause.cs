namespace SesWorker.Core.Sending;

/// <summary>
/// A transient reply that says when trying again makes sense: until <see cref="Until"/>, for this email only
/// or, with <see cref="WholeAccount"/>, for every email of the appId.
/// </summary>
public sealed record ProviderPause(DateTimeOffset Until, bool WholeAccount);
