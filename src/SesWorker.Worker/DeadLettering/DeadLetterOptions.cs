using System.ComponentModel.DataAnnotations;
using SesWorker.Messaging;

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

    /// <summary>The delay queues' tiers (<see cref="QueueNames.DelayTiers"/>).</summary>
    public static IReadOnlyList<TimeSpan> DelayTiers => QueueNames.DelayTiers;

    public string DelayQueuePrefix { get; set; } = QueueNames.DelayQueuePrefix;

    public string DelayQueueName(TimeSpan tier) => QueueNames.DelayQueue(DelayQueuePrefix, tier);
}
