using MimeKit;
using SesWorker.SmtpSimulator.Smtp;

namespace SesWorker.SmtpSimulator.Rules;

/// <summary>
/// The provider's content rules, written from its documents: header and attachment rules of SES SMTP error codes
/// (the same table is in the SES SMTP guide), limits and codes of the SendEmail API reference, subject length
/// (the SES FAQ).
/// Checks run in a fixed order and the first failure is the reply, as the provider returns one error per call.
/// MimeKit only parses; every decision is taken on raw header values and raw (still encoded) part content.
/// </summary>
internal static class MessageRules
{
    private const string Failed = "FailedOperation";
    private const int MaxRecipients = 50;
    private const int MaxAttachments = 10;
    private const int MaxSubjectCharacters = 998;
    private const long MaxBodyBytes = 1024 * 1024;

    private static readonly string[] MultipartSubtypes = ["mixed", "related", "alternative"];
    private static readonly string[] BodyEncodings = ["", "7bit", "8bit", "binary", "quoted-printable", "base64"];

    public static Verdict? Check(Envelope envelope, byte[] data, SimulatorOptions options)
    {
        var sender = envelope.Account!.Username;

        // FailedOperation.NotAuthenticatedSender (the SendEmail API reference): SMTP passwords belong to one sender
        // address (the UpdateEmailSmtpPassWord API reference).
        if (!string.Equals(envelope.MailFrom, sender, StringComparison.OrdinalIgnoreCase))
        {
            return NotAuthenticatedSender();
        }

        MimeMessage message;
        try
        {
            message = MimeMessage.Load(new MemoryStream(data, writable: false));
        }
        catch (FormatException)
        {
            return ProviderReplies.Business("FailedOperation.UnsupportMailType", "Unsupported email type.");
        }

        return CheckHeaders(message, sender)
            ?? (message.Body is null ? Fail("msg.Body is null") : CheckStructure(message.Body, topLevel: true))
            ?? CheckContent(envelope, message, data, options);
    }

    private static Verdict? CheckHeaders(MimeMessage message, string sender)
    {
        if (message.From.Mailboxes.FirstOrDefault() is not { } from)
        {
            return Fail("msg.From is null");
        }

        if (!string.Equals(from.Address, sender, StringComparison.OrdinalIgnoreCase))
        {
            return NotAuthenticatedSender();
        }

        // SES SMTP error codes list To as required but names no message; this follows its "msg.X is null" pattern.
        if (!message.To.Mailboxes.Any())
        {
            return Fail("msg.To is null");
        }

        if (string.IsNullOrWhiteSpace(message.Subject))
        {
            return Fail("msg.Subject is null");
        }

        // The SES FAQ: at most 998 characters or the mail is not sent; no code is documented, so the header family's.
        if (message.Subject.EnumerateRunes().Count() > MaxSubjectCharacters)
        {
            return Fail("msg.Subject is too long, it must not exceed 998 characters");
        }

        // SES SMTP error codes mark Cc and Bcc "currently unsupported" in the same header table whose violations are
        // answered with the bare FailedOperation code, so that is the code used here rather than a SendEmail-specific one.
        foreach (var id in (HeaderId[])[HeaderId.Cc, HeaderId.Bcc])
        {
            if (message.Headers.Contains(id))
            {
                return Fail($"{id.ToHeaderName()} is not supported");
            }
        }

        var mimeVersion = message.Headers[HeaderId.MimeVersion];
        if (mimeVersion is not null && mimeVersion.Trim() is not ("" or "1.0"))
        {
            return Fail("Mime-Version must in [\"\", \"1.0\"]");
        }

        return null;
    }

    /// <summary>
    /// Content-Type and Content-Transfer-Encoding of every entity (input and attachment parameters of SES SMTP error codes).
    /// </summary>
    private static Verdict? CheckStructure(MimeEntity entity, bool topLevel)
    {
        if (topLevel && !entity.Headers.Contains(HeaderId.ContentType))
        {
            return ContentTypeError();
        }

        switch (entity)
        {
            case Multipart multipart:
                if (!multipart.ContentType.MediaType.Equals("multipart", StringComparison.OrdinalIgnoreCase) ||
                    !MultipartSubtypes.Contains(multipart.ContentType.MediaSubtype, StringComparer.OrdinalIgnoreCase))
                {
                    return ContentTypeError();
                }

                return multipart.Select(child => CheckStructure(child, topLevel: false)).FirstOrDefault(v => v is not null);
            case MimePart part when IsAttachment(part):
                // Attachments: base64 only (attachment parameters of SES SMTP error codes).
                return TransferEncoding(part) == "base64" ? null : Fail("Content-Transfer-Encoding must in [base64]");
            case TextPart text when (text.IsPlain || text.IsHtml) &&
                                    string.Equals(text.ContentType.Charset, "utf-8", StringComparison.OrdinalIgnoreCase):
                return BodyEncodings.Contains(TransferEncoding(text))
                    ? null
                    : Fail("Content-Transfer-Encoding must in [7bit, 8bit, binary, quoted-printable, base64]");
            default:
                // Anything else that is not an attachment: an inline image, message/rfc822, text in another charset.
                return ContentTypeError();
        }
    }

    private static Verdict? CheckContent(Envelope envelope, MimeMessage message, byte[] data, SimulatorOptions options)
    {
        if (envelope.RcptTo.Count > MaxRecipients)
        {
            return ProviderReplies.Business("FailedOperation.TooManyRecipients", "Too many recipients. Set a maximum of 50 recipients at a time.");
        }

        var parts = message.BodyParts.OfType<MimePart>().ToList();
        var attachments = parts.Where(IsAttachment).ToList();
        if (attachments.Count > MaxAttachments)
        {
            return ProviderReplies.Business("FailedOperation.TooManyAttachments", "Too many attachments. A single email supports up to 10 attachments.");
        }

        long attachmentBytes = 0;
        long encodedAttachmentBytes = 0;
        foreach (var attachment in attachments)
        {
            var encoded = RawContent(attachment);
            encodedAttachmentBytes += encoded.Length;
            if (DecodedBase64Length(encoded) is not { } size)
            {
                return ProviderReplies.Business("InvalidParameterValue.AttachContentIsWrong", "Incorrect attachment content. Make sure the base64 content is correct.");
            }

            attachmentBytes += size;
            if (size > options.MaxAttachmentBytes || attachmentBytes > options.MaxTotalAttachmentBytes)
            {
                return ProviderReplies.Business(
                    "FailedOperation.AttachContentToolarge",
                    "The attachments are too large. Make sure they do not exceed the size limit for a single attachment and the overall limit for all attachments.");
            }
        }

        var bodyParts = parts.Except(attachments).ToList();
        foreach (var body in bodyParts.Where(p => TransferEncoding(p) == "base64"))
        {
            if (DecodedBase64Length(RawContent(body)) is null)
            {
                return ProviderReplies.Business("InvalidParameterValue.EmailContentIsWrong", "Incorrect body content. Make sure the base64 content is correct.");
            }
        }

        // "The email body other than attachments cannot exceed 1 MB" (SES SMTP error codes): measured as everything
        // received except the attachments' encoded content, the stricter reading.
        if (data.Length - encodedAttachmentBytes > MaxBodyBytes)
        {
            return ProviderReplies.Business("FailedOperation.EmailContentToolarge", "The email is too large. Remove some content.");
        }

        if (!bodyParts.Any(p => RawContent(p).Any(b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))))
        {
            return Fail("msg.Body is null");
        }

        return null;
    }

    private static bool IsAttachment(MimePart part) =>
        string.Equals(part.ContentDisposition?.Disposition, ContentDisposition.Attachment, StringComparison.OrdinalIgnoreCase);

    private static string TransferEncoding(MimeEntity entity) =>
        (entity.Headers[HeaderId.ContentTransferEncoding] ?? string.Empty).Trim().ToLowerInvariant();

    private static byte[] RawContent(MimePart part)
    {
        if (part.Content?.Stream is not { } content)
        {
            return [];
        }

        // The parser keeps each part's content exactly as it was encoded on the wire.
        using var buffer = new MemoryStream();
        content.Position = 0;
        content.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Strict base64 as Go's decoder reads it after line breaks are removed: only CR and LF are skipped, padding only
    /// at the very end, length a multiple of four. MimeKit's own decoder skips bad characters, so it cannot judge this.
    /// </summary>
    private static long? DecodedBase64Length(byte[] encoded)
    {
        long symbols = 0;
        var padding = 0;
        foreach (var b in encoded)
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (b == (byte)'=')
            {
                padding++;
            }
            else if (padding > 0 || !(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/'))
            {
                return null;
            }

            symbols++;
        }

        return symbols % 4 != 0 || padding > 2 ? null : (symbols / 4 * 3) - padding;
    }

    private static Verdict ContentTypeError() => Fail(
        "Content-Type must in [text/plain; charset=UTF-8, text/html; charset=UTF-8, multipart/mixed, multipart/related, multipart/alternative]");

    private static Verdict NotAuthenticatedSender() =>
        ProviderReplies.Business("FailedOperation.NotAuthenticatedSender", "Unable to send because the sender is not verified.");

    private static Verdict Fail(string message) => ProviderReplies.Business(Failed, message);
}
