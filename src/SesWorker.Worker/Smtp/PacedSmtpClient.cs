using MailKit.Net.Smtp;
using MimeKit;

namespace SesWorker.Worker.Smtp;

/// <summary>
/// MailKit's client with two additions for paced sending: once the recipients are accepted it arms the content
/// gate of the message in flight (so the content waits for its slot, and only then: MailKit also writes the
/// message once before MAIL FROM to measure it), and it reports the size measured at composition instead of
/// writing the message a second time to learn it.
/// </summary>
public sealed class PacedSmtpClient : SmtpClient
{
    private ContentGate? _gate;
    private long? _knownSize;

    /// <summary>Sets (or with nulls, clears) what the next transaction is paced by.</summary>
    public void Pace(ContentGate? gate, long? knownSize)
    {
        _gate = gate;
        _knownSize = knownSize;
    }

    protected override void OnRecipientAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response)
    {
        base.OnRecipientAccepted(message, mailbox, response);
        _gate?.Arm();
    }

    protected override Task<long> GetSizeAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        _knownSize is { } size ? Task.FromResult(size) : base.GetSizeAsync(options, message, cancellationToken);

    protected override long GetSize(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
        _knownSize ?? base.GetSize(options, message, cancellationToken);
}
