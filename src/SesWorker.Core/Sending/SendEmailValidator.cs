using System.Buffers.Text;
using MimeKit;
using SesWorker.Contracts;
using SesWorker.Core.Mime;

namespace SesWorker.Core.Sending;

/// <summary>
/// Checks a command against the provider's rules before any connection is made, so a message the
/// provider would refuse costs no SMTP call and no rate-limit slot.
/// </summary>
public sealed class SendEmailValidator(SesLimits limits)
{
    /// <summary>
    /// The rules that only the message as sent can show: the whole message below the provider's 10 MB, the body
    /// without attachments at most 1 MB as sent (base64 adds a third, so 765 KB of text can be too much), and no line
    /// of 2000 characters. Attachments within the raw limits (4 MB each, 8 MB in all) can still be over 10 MB as sent:
    /// about 7.3 MB of attachments in all is the real ceiling.
    /// </summary>
    public SendFailure? ValidateWire(ComposedEmail email)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (email.SizeBytes >= limits.MaxMessageBytes)
            return SendFailure.Of(ErrorCodes.EmailContentToolarge, $"The message is {email.SizeBytes} bytes on the wire; it must stay below {limits.MaxMessageBytes}.");
        // The provider measures the body as sent (base64 adds a third), not as the producer wrote it.
        if (email.BodyBytes > limits.MaxBodyBytes)
            return SendFailure.Of(ErrorCodes.EmailContentToolarge, $"The body is {email.BodyBytes} bytes as sent, without attachments; at most {limits.MaxBodyBytes} are allowed.");
        if (email.LongestLine > limits.MaxLineLength)
            return new SendFailure(ErrorCodes.LineTooLong, $"A line of {email.LongestLine} characters; the provider refuses lines of 2000 or more.", FailureClass.Permanent);
        return null;
    }

    public SendFailure? Validate(SendEmail message)
    {
        ArgumentNullException.ThrowIfNull(message);

        if (message.EmailId == Guid.Empty)
            return SendFailure.Of(ErrorCodes.MissingParameter, "EmailId is required and must not be the empty GUID.");
        if (string.IsNullOrWhiteSpace(message.AppId))
            return SendFailure.Of(ErrorCodes.MissingParameter, "AppId is required.");

        if (message.From is null || string.IsNullOrWhiteSpace(message.From.Address))
            return SendFailure.Of(ErrorCodes.EmailAddressIsNull, "From is required (the provider answers 'msg.From is null').");
        if (!IsMailbox(message.From.Address))
            return SendFailure.Of(ErrorCodes.IncorrectSender, $"From address '{message.From.Address}' is not a valid address.");

        if (message.To is null || message.To.Count == 0)
            return SendFailure.Of(ErrorCodes.EmailAddressIsNull, "At least one To address is required.");
        if (message.To.Count > limits.MaxRecipients)
            return SendFailure.Of(ErrorCodes.TooManyRecipients, $"{message.To.Count} recipients; at most {limits.MaxRecipients} are allowed.");
        foreach (var recipient in message.To)
        {
            if (recipient is null || !IsMailbox(recipient.Address))
                return SendFailure.Of(ErrorCodes.IncorrectEmail, $"Recipient address '{recipient?.Address}' is not a valid address.");
        }

        if (HasNul(message.From.Name) || HasNul(message.ReplyTo?.Name) || message.To.Any(t => HasNul(t.Name)))
            return SendFailure.Of(ErrorCodes.InvalidParameterValue, "A display name contains a NUL character, which no header may carry.");

        if (message.ReplyTo is not null && !IsMailbox(message.ReplyTo.Address))
            return SendFailure.Of(ErrorCodes.InvalidParameterValue, $"Reply-To address '{message.ReplyTo.Address}' is not a valid address.");

        if (string.IsNullOrWhiteSpace(message.Subject))
            return SendFailure.Of(ErrorCodes.MissingParameter, "Subject is required (the provider answers 'msg.Subject is null').");
        if (HasNul(message.Subject))
            return SendFailure.Of(ErrorCodes.InvalidParameterValue, "Subject contains a NUL character, which no header may carry.");
        // Characters as people count them (the SES FAQ), not UTF-16 code units: an emoji is one.
        var subjectLength = message.Subject.EnumerateRunes().Count();
        if (subjectLength > limits.MaxSubjectLength)
            return SendFailure.Of(ErrorCodes.InvalidParameterValue, $"Subject has {subjectLength} characters; at most {limits.MaxSubjectLength} are allowed.");

        if (string.IsNullOrEmpty(message.Text) && string.IsNullOrEmpty(message.Html))
            return SendFailure.Of(ErrorCodes.MissingEmailContent, "Text or Html is required (the provider answers 'msg.Body is null').");

        var bodyBytes = Utf8Length(message.Text) + Utf8Length(message.Html);
        if (bodyBytes > limits.MaxBodyBytes)
            return SendFailure.Of(ErrorCodes.EmailContentToolarge, $"The body is {bodyBytes} bytes without attachments; at most {limits.MaxBodyBytes} are allowed.");

        if (message.MessageId is not null && !IsMessageId(message.MessageId))
            return SendFailure.Of(ErrorCodes.InvalidParameterValue, $"MessageId '{message.MessageId}' is not of the form local@domain.");

        return ValidateAttachments(message.Attachments);
    }

    private SendFailure? ValidateAttachments(IReadOnlyList<EmailAttachment>? attachments)
    {
        if (attachments is null || attachments.Count == 0)
            return null;
        if (attachments.Count > limits.MaxAttachments)
            return SendFailure.Of(ErrorCodes.TooManyAttachments, $"{attachments.Count} attachments; at most {limits.MaxAttachments} are allowed.");

        long total = 0;
        foreach (var attachment in attachments)
        {
            if (attachment is null || string.IsNullOrWhiteSpace(attachment.FileName))
                return SendFailure.Of(ErrorCodes.InvalidAttachName, "Every attachment needs a file name.");
            if (attachment.FileName.IndexOfAny(['/', '\\', '\r', '\n', '\0']) >= 0)
                return SendFailure.Of(ErrorCodes.InvalidAttachName, $"Attachment name '{attachment.FileName}' contains a path or control character.");
            if (attachment.ContentType is not null && !ContentType.TryParse(attachment.ContentType, out _))
                return SendFailure.Of(ErrorCodes.InvalidParameterValue, $"Attachment '{attachment.FileName}' has an invalid content type '{attachment.ContentType}'.");
            // Read from a body, the base64 is checked where it stands, as bytes (no string of it is made).
            var decodedLength = 0;
            if (attachment.IsEncoded ? !SesWorker.Contracts.Reading.JsonBase64.IsValid(attachment.EncodedContent.Span, out decodedLength)
                : attachment.Content is null || !Base64.IsValid(attachment.Content, out decodedLength))
                return SendFailure.Of(ErrorCodes.AttachContentIsWrong, $"Attachment '{attachment.FileName}' is not valid base64.");
            if (decodedLength > limits.MaxAttachmentBytes)
                return SendFailure.Of(ErrorCodes.AttachContentToolarge, $"Attachment '{attachment.FileName}' is {decodedLength} bytes; at most {limits.MaxAttachmentBytes} are allowed per attachment.");
            total += decodedLength;
        }

        return total > limits.MaxTotalAttachmentBytes
            ? SendFailure.Of(ErrorCodes.AttachContentToolarge, $"Attachments total {total} bytes; at most {limits.MaxTotalAttachmentBytes} are allowed.")
            : null;
    }

    private static int Utf8Length(string? value) => value is null ? 0 : System.Text.Encoding.UTF8.GetByteCount(value);

    internal static bool IsMailbox(string? address)
    {
        if (string.IsNullOrWhiteSpace(address) || address.Length > 254)
            return false;
        if (!MailboxAddress.TryParse(address, out var mailbox) || !string.IsNullOrEmpty(mailbox.Name))
            return false;
        var at = mailbox.Address.LastIndexOf('@');
        return at > 0 && at < mailbox.Address.Length - 1 && mailbox.Address.IndexOf('.', at) > at + 1
            && string.Equals(mailbox.Address, address.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasNul(string? value) => value is not null && value.Contains('\0', StringComparison.Ordinal);

    private static bool IsMessageId(string value)
    {
        var at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < value.Length - 1 && value.Length <= 250
            && !value.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' || c > 126);
    }
}
