namespace SesWorker.Core.Sending;

/// <summary>
/// What one SMTP try ended in, as the policy sees it. <see cref="Failure"/> is null when the provider accepted.
/// <see cref="Unknown"/>: the connection died after DATA began. <see cref="NotSent"/>: no transaction began.
/// </summary>
public sealed record SendResult(SendFailure? Failure, bool Unknown = false, bool NotSent = false)
{
    public static SendResult Accepted { get; } = new((SendFailure?)null);
}
