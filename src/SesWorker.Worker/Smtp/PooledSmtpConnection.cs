using SesWorker.Worker.Accounts;

namespace SesWorker.Worker.Smtp;

/// <summary>An authenticated connection lent to one send at a time.</summary>
public sealed class PooledSmtpConnection(PacedSmtpClient client, PacingStream wire, SmtpCredential credential, DateTimeOffset openedAt)
{
    public PacedSmtpClient Client { get; } = client;

    /// <summary>The stream under TLS, where a paced send checks its moment last.</summary>
    public PacingStream Wire { get; } = wire;

    public SmtpCredential Credential { get; } = credential;

    public DateTimeOffset LastUsed { get; set; } = openedAt;

    /// <summary>Set by a send that failed on the wire: the connection is closed instead of returned.</summary>
    public bool Broken { get; set; }
}
