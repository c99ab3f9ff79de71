using System.Text;
using MimeKit;
using MimeKit.Utils;
using MimeKit.Text;
using SesWorker.Contracts;

namespace SesWorker.Core.Mime;

/// <summary>
/// Builds the MIME message the provider accepts (the SES SMTP guide and SES SMTP error codes): UTF-8 everywhere,
/// MIME-Version 1.0, text/plain or text/html with charset UTF-8, multipart/alternative for both, multipart/mixed
/// with attachments, every part base64 (so no line ever approaches the provider's 2000-character limit and
/// non-ASCII bodies survive), attachments with Content-Disposition: attachment and RFC 2047 file names.
/// </summary>
public sealed class MimeComposer(TimeProvider timeProvider)
{
    /// <summary>
    /// The options to write the message with. RFC 2047 for parameters because the provider's samples
    /// encode attachment names that way (RFC 2231 is MimeKit's default and not what the provider parses).
    /// </summary>
    public static FormatOptions WireFormat { get; } = CreateWireFormat();

    /// <param name="date">The Date header; a retry passes the first try's, so every copy the provider gets is the same bytes.</param>
    public ComposedEmail Compose(SendEmail command, DateTimeOffset? date = null)
    {
        ArgumentNullException.ThrowIfNull(command);

        var message = new MimeMessage();
        message.From.Add(Mailbox(command.From!));
        foreach (var recipient in command.To!)
            message.To.Add(Mailbox(recipient));
        if (command.ReplyTo is not null)
            message.ReplyTo.Add(Mailbox(command.ReplyTo));
        message.Subject = command.Subject ?? string.Empty;
        message.Date = date ?? timeProvider.GetUtcNow();
        var domain = command.From!.Address[(command.From.Address.LastIndexOf('@') + 1)..];
        message.MessageId = command.MessageId ?? $"{command.EmailId:N}@{domain}";
        message.Body = Body(command);
        // Boundaries from the emailId, not random: a retry composes the same bytes the provider may already have.
        if (message.Body is Multipart outer)
        {
            outer.Boundary = $"=-{command.EmailId:N}-0";
            foreach (var (inner, index) in outer.OfType<Multipart>().Select((m, i) => (m, i + 1)))
                inner.Boundary = $"=-{command.EmailId:N}-{index}";
        }

        using var sink = new WireMeasuringStream();
        message.WriteTo(WireFormat, sink);
        // Every attachment part knows its decoded length: measure those rather than parse the base64 again.
        var attachmentBytes = message.Attachments.OfType<Base64AttachmentPart>().Sum(part => EncodedLength(part.DecodedLength));
        return new ComposedEmail(message, message.MessageId, sink.Length, sink.Length - attachmentBytes, sink.LongestLine, sink.HashHex());
    }

    private static MimeEntity Body(SendEmail command)
    {
        MimeEntity content = (command.Text, command.Html) switch
        {
            ({ Length: > 0 } text, { Length: > 0 } html) => new MultipartAlternative { TextPart(TextFormat.Plain, text), TextPart(TextFormat.Html, html) },
            ({ Length: > 0 } text, _) => TextPart(TextFormat.Plain, text),
            (_, var html) => TextPart(TextFormat.Html, html ?? string.Empty),
        };

        if (command.Attachments is not { Count: > 0 } attachments)
            return content;

        var mixed = new Multipart("mixed") { content };
        foreach (var attachment in attachments)
            mixed.Add(AttachmentPart(attachment));
        return mixed;
    }

    private static TextPart TextPart(TextFormat format, string text)
    {
        var part = new TextPart(format) { ContentTransferEncoding = ContentEncoding.Base64 };
        part.SetText(System.Text.Encoding.UTF8, text);
        part.ContentType.Charset = "UTF-8";
        return part;
    }

    private static Base64AttachmentPart AttachmentPart(EmailAttachment attachment)
    {
        var contentType = ContentType.Parse(attachment.ContentType ?? "application/octet-stream");
        // Read from a body, the base64 is decoded while the part is written (and encoded again in 76-character lines),
        // a few kilobytes at a time: the decoded file is never held whole.
        var part = new Base64AttachmentPart(
            contentType,
            attachment.FileName,
            attachment.IsEncoded
                ? new Base64ContentStream(attachment.EncodedContent)
                : new MemoryStream(Convert.FromBase64String(attachment.Content), writable: false));

        // The provider's samples send non-ASCII names as RFC 2047 UTF-8 encoded-words; MimeKit on its own would
        // pick RFC 2231 or the narrowest charset (ISO-8859-1), so the encoded form is written as the value itself.
        if (!Ascii.IsValid(attachment.FileName))
        {
            var encoded = System.Text.Encoding.ASCII.GetString(Rfc2047.EncodeText(WireFormat, System.Text.Encoding.UTF8, attachment.FileName));
            part.ContentType.Parameters["name"] = encoded;
            part.ContentDisposition!.Parameters["filename"] = encoded;
        }

        return part;
    }

    /// <summary>MimeKit's base64 as written: 76 characters a line, CRLF between lines (the last CRLF not counted).</summary>
    internal static long EncodedLength(long bytes)
    {
        var characters = (bytes + 2) / 3 * 4;
        var lines = (characters + 75) / 76;
        return characters + 2 * Math.Max(0, lines - 1);
    }

    private static MailboxAddress Mailbox(EmailAddress address) =>
        new(address.Name ?? string.Empty, address.Address.Trim());

    private static FormatOptions CreateWireFormat()
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        options.ParameterEncodingMethod = ParameterEncodingMethod.Rfc2047;
        options.International = false;
        options.MaxLineLength = 78;
        return options;
    }
}
