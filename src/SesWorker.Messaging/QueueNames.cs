namespace SesWorker.Messaging;

/// <summary>
/// The default queue and exchange names (each queue has a fanout exchange of the same name, which is where
/// producers publish). The worker can rename them by configuration (<see cref="ConfigurationKeys"/>); tools read
/// the same keys and fall back to these.
/// </summary>
public static class QueueNames
{
    /// <summary>The worker's quorum queue, and the fanout exchange producers publish to.</summary>
    public const string SendEmail = "send-email";

    /// <summary>MassTransit's fault queue for the worker's receive endpoint: messages with no readable email id, unexpected errors.</summary>
    public const string Error = SendEmail + "_error";

    /// <summary>Messages over a size rule; never retried automatically.</summary>
    public const string Oversize = "send-email-oversize";

    /// <summary>Throttled messages; they flow back to <see cref="SendEmail"/> after a delay.</summary>
    public const string RateLimited = "send-email-rate-limited";

    /// <summary>Throttled messages that came back too many times.</summary>
    public const string RateLimitedParked = "send-email-rate-limited-parked";

    /// <summary>Delay queues for deferred messages are this prefix plus the delay in seconds and "s".</summary>
    public const string DelayQueuePrefix = "send-email-delay-";

    public static string ErrorQueueOf(string queue) => $"{queue}_error";
}
