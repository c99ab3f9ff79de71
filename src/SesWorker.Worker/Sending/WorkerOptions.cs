using System.ComponentModel.DataAnnotations;

namespace SesWorker.Worker.Sending;

public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>The durable quorum queue the worker consumes. Producers publish to the exchange of the same name.</summary>
    [Required]
    public string QueueName { get; set; } = "send-email";

    /// <summary>Sends in flight per worker process. Each holds one pooled SMTP connection while it sends.</summary>
    [Range(1, 1024)]
    public int ConcurrentMessageLimit { get; set; } = 32;

    /// <summary>Identifies this replica in attempts and leases; defaults to host name and process id.</summary>
    public string? WorkerId { get; set; }

    /// <summary>How long a claim protects an email from a duplicate delivery of the same EmailId on another replica.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>SMTP attempts per email for transient failures, including the first.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a message keeps retrying while no connection to the provider can be made (no transaction, so
    /// no attempt is used up); after that it is deferred through a delay queue and tried again later.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ConnectOutageTolerance { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long an outcome write waits out a database outage after the SMTP transaction happened.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RecordOutageTolerance { get; set; } = TimeSpan.FromMinutes(30);

    public string ResolveWorkerId() => WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
}
