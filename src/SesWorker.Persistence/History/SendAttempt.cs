namespace SesWorker.Persistence.History;

/// <summary>One row per SMTP try (or per failure found before one). Waiting for a rate-limit slot is not an attempt.</summary>
public sealed class SendAttempt
{
    public long Id { get; set; }

    public Guid EmailId { get; set; }

    public int AttemptNumber { get; set; }

    public required string WorkerId { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset EndedAt { get; set; }

    /// <summary>sent, transient, permanent, rate_limited, oversize or unknown.</summary>
    public required string Outcome { get; set; }

    public int? SmtpStatus { get; set; }

    public string? EnhancedCode { get; set; }

    public string? ProviderCode { get; set; }

    public string? ProviderMessage { get; set; }

    public string? RequestId { get; set; }

    public string? SmtpReply { get; set; }
}
