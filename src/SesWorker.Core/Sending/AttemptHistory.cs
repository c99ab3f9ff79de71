namespace SesWorker.Core.Sending;

/// <param name="Attempts">SMTP transactions so far (connect failures excluded).</param>
/// <param name="NotSentSince">When the provider first could not be reached, since the last transaction; null if it could.</param>
public sealed record AttemptHistory(int Attempts, DateTimeOffset? NotSentSince = null);
