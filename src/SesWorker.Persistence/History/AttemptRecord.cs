namespace SesWorker.Persistence.History;

/// <summary>What one attempt ended in, and the state the email row moves to.</summary>
public sealed record AttemptRecord
{
    public required Guid EmailId { get; init; }

    public required string WorkerId { get; init; }

    /// <summary>The fence: the record is written only while this claim is still the email's.</summary>
    public required Guid ClaimToken { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required string Outcome { get; init; }

    public required string NewStatus { get; init; }

    public int? SmtpStatus { get; init; }

    public string? EnhancedCode { get; init; }

    public string? Code { get; init; }

    public string? Message { get; init; }

    /// <summary>The attempt row's message when it differs from the email row's (the provider's own words); null: the same.</summary>
    public string? AttemptMessage { get; init; }

    public string? RequestId { get; init; }

    public string? SmtpReply { get; init; }

    public string? MessageId { get; init; }

    public long? SizeBytes { get; init; }

    public string? Sha256 { get; init; }

    /// <summary>False for failures found before any SMTP call: they update the row without an attempt.</summary>
    public bool CountsAsAttempt { get; init; } = true;

    /// <summary>
    /// For an email parked in a delay queue (<c>retrying</c>, <c>deferred</c>, <c>unknown</c>): when its parked copy is
    /// due. Kept on the row (<c>lease_until</c>) so another copy that claims the email meanwhile waits for it too.
    /// </summary>
    public DateTimeOffset? DueAt { get; init; }

    /// <summary>No transaction began (connect, TLS or AUTH failed): the outage clock of the email starts or runs on.</summary>
    public bool NotSent { get; init; }
}
