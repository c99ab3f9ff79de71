namespace SesWorker.Client;

/// <summary>
/// A publish that happened (confirmed by the broker) or a message refused before publishing, with the code the
/// worker would have stored for it. A refusal is a value, not an exception: a batch goes on past it.
/// </summary>
public sealed record PublishResult(Guid EmailId, string? ProducerKey, bool Published, string? Code, string? Reason)
{
    public static PublishResult Done(Guid emailId, string? producerKey) => new(emailId, producerKey, true, null, null);

    public static PublishResult Refused(Guid emailId, string? producerKey, string code, string reason) => new(emailId, producerKey, false, code, reason);
}
