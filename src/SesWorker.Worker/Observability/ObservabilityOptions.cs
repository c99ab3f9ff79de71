using System.ComponentModel.DataAnnotations;

namespace SesWorker.Worker.Observability;

/// <summary>The worker's HTTP listener (health and metrics), its log format and how long a stop may take.</summary>
public sealed class ObservabilityOptions
{
    public const string SectionName = "Observability";

    /// <summary>
    /// Port of the listener for <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>, on every interface.
    /// Unset: an ephemeral port on loopback, so several worker processes on one machine (local runs, the
    /// benchmark) never collide; the container image sets 8080.
    /// </summary>
    [Range(1, 65535)]
    public int? HttpPort { get; set; }

    /// <summary><c>json</c> for one JSON object per line (log collectors); <c>plain</c> otherwise.</summary>
    [RegularExpression("^(?i)(plain|json)$")]
    public string LogFormat { get; set; } = "plain";

    /// <summary>
    /// How long a stop (SIGTERM) may take: the bus stops taking messages, in-flight sends finish within this bound,
    /// the rest goes back to the queue unacknowledged. Well under Kubernetes' default grace period of 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public bool JsonLogs => string.Equals(LogFormat, "json", StringComparison.OrdinalIgnoreCase);
}
