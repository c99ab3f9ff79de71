namespace SesWorker.Contracts;

/// <summary>The provider's SMTP endpoint accepted the message (250). Delivery is not known over SMTP.</summary>
public sealed record EmailSent
{
    public required Guid EmailId { get; init; }

    public required string AppId { get; init; }

    public required string MessageId { get; init; }

    public required string SmtpReply { get; init; }

    public required int Attempts { get; init; }

    public required DateTimeOffset SentAt { get; init; }

    public Guid? CorrelationId { get; init; }
}
