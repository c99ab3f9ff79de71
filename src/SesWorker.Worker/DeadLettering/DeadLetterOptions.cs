using System.ComponentModel.DataAnnotations;

namespace SesWorker.Worker.DeadLettering;

public sealed class DeadLetterOptions
{
    public const string SectionName = "Worker:DeadLetter";

    /// <summary>Throttled messages; they flow back to the main queue after <see cref="RateLimitedDelay"/>.</summary>
    public string RateLimitedQueue { get; set; } = "send-email-rate-limited";

    /// <summary>Throttled messages that came back <see cref="MaxRateLimitedCycles"/> times and still failed.</summary>
    public string RateLimitedParkedQueue { get; set; } = "send-email-rate-limited-parked";

    /// <summary>Messages over a size rule; never retried automatically.</summary>
    public string OversizeQueue { get; set; } = "send-email-oversize";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RateLimitedDelay { get; set; } = TimeSpan.FromMinutes(1);

    [Range(0, 1000)]
    public int MaxRateLimitedCycles { get; set; } = 10;

    /// <summary>
    /// Delay queues for deferred messages (retry backoff, a copy waiting for another worker, the recipient cap,
    /// pauses): fixed-TTL queues that dead-letter back into the main queue. A message goes to the longest delay that does not overshoot, and is re-deferred if early.
    /// Fixed TTLs per queue, because per-message TTLs expire only at the head of a queue.
    /// </summary>
    public static IReadOnlyList<TimeSpan> DelayTiers { get; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    public string DelayQueuePrefix { get; set; } = "send-email-delay-";

    public string DelayQueueName(TimeSpan tier) => $"{DelayQueuePrefix}{(long)tier.TotalSeconds}s";
}
