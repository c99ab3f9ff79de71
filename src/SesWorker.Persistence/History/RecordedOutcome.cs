namespace SesWorker.Persistence.History;

/// <summary>A terminal email's outcome as its row has it: what its outcome event said, to publish it again.</summary>
public sealed record RecordedOutcome(
    Guid EmailId,
    string Status,
    string? AppId,
    string? MessageId,
    string? SmtpReply,
    int Attempts,
    DateTimeOffset CompletedAt,
    Guid? CorrelationId,
    string? FailureCode,
    string? FailureMessage);
