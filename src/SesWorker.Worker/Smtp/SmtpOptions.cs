using System.ComponentModel.DataAnnotations;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.Smtp;

public sealed class SmtpOptions
{
    public const string SectionName = "Ses:Smtp";

    /// <summary>
    /// A PEM certificate to pin instead of the system trust store: for the simulator in development and
    /// tests. Pinning is still a check: a server presenting any other certificate is refused.
    /// </summary>
    public string? TrustedCertificateFile { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Per SMTP command, including DATA of a 10 MB message.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections unused for this long are closed with QUIT.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection idle longer than this is checked with NOOP before the next message rides on it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ProbeAfterIdle { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Open connections per sender address per process. A send holds one from its slot to the provider's reply, so
    /// this matches the lane's concurrency (Worker:LaneConcurrency): with fewer, reserved slots would wait for a
    /// connection and go unused.
    /// </summary>
    [Range(1, 256)]
    public int MaxConnectionsPerSender { get; set; } = WorkerOptions.DefaultLaneConcurrency;
}
