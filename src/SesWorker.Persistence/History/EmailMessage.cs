namespace SesWorker.Persistence.History;

/// <summary>One row per SendEmail command, keyed by its EmailId. Bodies are not stored: sizes and a hash are.</summary>
public sealed class EmailMessage
{
    public Guid EmailId { get; set; }

    /// <summary>The producer's own key when its emailId was not a GUID; <see cref="EmailId"/> is then the key's UUIDv5.</summary>
    public string? ProducerKey { get; set; }

    public string? AppId { get; set; }

    public string? FromAddress { get; set; }

    public string? FromName { get; set; }

    public List<string> ToAddresses { get; set; } = [];

    public string? ReplyTo { get; set; }

    public string? Subject { get; set; }

    public string? MessageId { get; set; }

    public Guid? CorrelationId { get; set; }

    /// <summary>The producer's metadata map as JSON (jsonb).</summary>
    public string? Metadata { get; set; }

    public int AttachmentCount { get; set; }

    public long AttachmentBytes { get; set; }

    public long? SizeBytes { get; set; }

    public string? Sha256 { get; set; }

    public string Status { get; set; } = EmailStatus.Received;

    public string? FailureCode { get; set; }

    public string? FailureMessage { get; set; }

    public int? SmtpStatus { get; set; }

    public string? SmtpReply { get; set; }

    public string? ProviderRequestId { get; set; }

    public int Attempts { get; set; }

    public string? WorkerId { get; set; }

    /// <summary>
    /// For an email parked in a delay queue (<c>retrying</c>, <c>deferred</c>, <c>unknown</c>): when its parked copy is
    /// due; any copy that claims it sooner waits until then (<see cref="AttemptRecord.DueAt"/>). Null otherwise.
    /// </summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public List<SendAttempt> SendAttempts { get; set; } = [];
}
