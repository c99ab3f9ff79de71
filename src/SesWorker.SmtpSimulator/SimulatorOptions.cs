using SesWorker.SmtpSimulator.Latency;

namespace SesWorker.SmtpSimulator;

/// <summary>How the simulated Tencent SES SMTP endpoint listens and which provider rules it enforces.</summary>
public sealed class SimulatorOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 lets the OS choose a free port; read it back from <see cref="SmtpSimulatorServer.Port"/>.</summary>
    public int Port { get; set; }

    public List<SimulatorAccount> Accounts { get; } = new();

    /// <summary>When set, each accepted message is written as <c>&lt;n&gt;-&lt;guid&gt;.eml</c> plus a <c>.json</c> envelope.</summary>
    public string? RecordDirectory { get; set; }

    /// <summary>SMTP calls per second per appId (the SES SMTP guide and FAQ). 0 disables the limit.</summary>
    public int RatePerSecondPerAppId { get; set; } = 20;

    /// <summary>Mails per hour from one sender to one recipient (the SES SMTP guide and FAQ). 0 disables the cap.</summary>
    public int PerRecipientPerHour { get; set; } = 10;

    /// <summary>
    /// Header, MIME, size and attachment rules of SES SMTP error codes and the SendEmail API reference. Off, any
    /// well-formed SMTP transaction is accepted.
    /// </summary>
    public bool EnforceRules { get; set; } = true;

    /// <summary>
    /// The SES SMTP guide (its attachment section) and the project's original design say 4 MB per attachment and 8 MB
    /// in all; SES SMTP error codes say 5 MB / 10 MB "may be adjusted". The stricter figures are the defaults so the
    /// worker cannot pass here and fail at the provider.
    /// </summary>
    public long MaxAttachmentBytes { get; set; } = 4L * 1024 * 1024;

    public long MaxTotalAttachmentBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// DATA beyond this is answered by closing the connection, as the provider returns EOF (SES SMTP error codes).
    /// </summary>
    public long MaxMessageBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Bounds the in-memory history of a long-running simulator (benchmarks); the oldest entries go first.</summary>
    public int MaxRetainedMessages { get; set; } = 100_000;

    public int MaxRetainedTransactions { get; set; } = 500_000;

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long each reply takes (none by default: localhost speed). Read when each reply is sent, so a test may change it while running.</summary>
    public ReplyLatencies Latency { get; } = new();

    /// <summary>
    /// How fast the message content of DATA is read, in bytes per second; 0 (the default) reads at localhost speed. A
    /// real provider is behind a link of finite bandwidth, so the end of a large message, where the rate limit counts
    /// it, arrives well after its first bytes; pacing the reads lets TCP flow control slow the sender as that link
    /// would. Commands are not paced. Read when a message's content starts, so a test may change it on a running
    /// simulator for the next transaction.
    /// </summary>
    public long DataBytesPerSecond { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
