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

    /// <summary>
    /// Delay queues for deferred messages (retry backoff, a copy waiting for another worker, the recipient cap,
    /// pauses): fixed-TTL queues that dead-letter back into the main queue. A message goes to the longest delay that does
    /// not overshoot, and is re-deferred if early. Fixed TTLs per queue, because per-message TTLs expire only at the head
    /// of a queue.
    /// </summary>
    public static IReadOnlyList<TimeSpan> DelayTiers { get; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    /// <summary>The delay queue of <paramref name="tier"/> under <paramref name="prefix"/>.</summary>
    public static string DelayQueue(string prefix, TimeSpan tier) => $"{prefix}{(long)tier.TotalSeconds}s";

    /// <summary>An appId's lane queue behind <paramref name="queue"/>; appIds are digits, anything else is kept to characters a queue name takes.</summary>
    public static string LaneQueue(string queue, string appId) =>
        $"{queue}-app-{new string([.. appId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')])}";

    /// <summary>The lane of large bodies behind <paramref name="queue"/>, every appId's.</summary>
    public static string LargeLaneQueue(string queue) => $"{queue}-large";

    /// <summary>
    /// Where a copy of an email that another worker holds (a redelivery after that worker's connection dropped) waits
    /// for the claim: it goes round <see cref="HeldWaitQueue"/> every <see cref="HeldWait"/> until the owner has finished
    /// or its heartbeat has gone stale, and is then sent from here. Not from the intake and the lane again: behind their
    /// backlogs, a dead worker's emails were taken over up to a minute late.
    /// </summary>
    public static string HeldQueue(string queue) => $"{queue}-held";

    /// <summary>The fixed-TTL queue a held copy waits in; it dead-letters into <see cref="HeldQueue"/>.</summary>
    public static string HeldWaitQueue(string queue) => $"{queue}-held-wait";

    /// <summary>How long a held copy waits between two looks at the claim.</summary>
    public static TimeSpan HeldWait { get; } = TimeSpan.FromSeconds(1);

    public static string ErrorQueueOf(string queue) => $"{queue}_error";
}
