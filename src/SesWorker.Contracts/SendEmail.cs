namespace SesWorker.Contracts;

/// <summary>
/// Asks the worker to send one email. Published by any service, in any language, as a MassTransit
/// envelope or as plain JSON (camelCase or PascalCase). Only <see cref="EmailId"/> is required at the
/// JSON level: every other field is validated by the worker, so a message with an EmailId but bad
/// fields gets a persisted outcome with a code instead of vanishing into an error queue.
/// </summary>
public sealed record SendEmail
{
    /// <summary>
    /// The idempotency key and the history row's id: redelivered or republished messages with the same id are sent
    /// once. A producer that has its own key (say "order-42") publishes it as <c>emailId</c>; the worker derives
    /// this id from it with <see cref="Reading.SendEmailReader.EmailIdFor"/> and keeps the key in <see cref="ProducerKey"/>.
    /// </summary>
    public required Guid EmailId { get; init; }

    /// <summary>The producer's own key when <c>emailId</c> was not a GUID (at most 255 characters), kept as given.</summary>
    public string? ProducerKey { get; init; }

    /// <summary>The Tencent Cloud account (appId) whose SMTP endpoint and rate limit this send uses.</summary>
    public string? AppId { get; init; }

    public EmailAddress? From { get; init; }

    /// <summary>1 to 50 recipients. The provider supports no Cc or Bcc over SMTP.</summary>
    public IReadOnlyList<EmailAddress>? To { get; init; }

    public EmailAddress? ReplyTo { get; init; }

    public string? Subject { get; init; }

    public string? Text { get; init; }

    public string? Html { get; init; }

    public IReadOnlyList<EmailAttachment>? Attachments { get; init; }

    /// <summary>A custom Message-ID header (without angle brackets); one is generated when absent.</summary>
    public string? MessageId { get; init; }

    /// <summary>Free-form producer data, stored with the send history.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    public Guid? CorrelationId { get; init; }
}
