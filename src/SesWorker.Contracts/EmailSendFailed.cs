namespace SesWorker.Contracts;

/// <summary>The email reached a terminal state other than sent: failed, or dead-lettered for an operator.</summary>
public sealed record EmailSendFailed
{
    public required Guid EmailId { get; init; }

    public string? AppId { get; init; }

    /// <summary>failed or dead_lettered.</summary>
    public required string Status { get; init; }

    /// <summary>The provider's code (e.g. FailedOperation.IncorrectEmail) or the worker's own.</summary>
    public required string Code { get; init; }

    public required string Message { get; init; }

    public required int Attempts { get; init; }

    public required DateTimeOffset FailedAt { get; init; }

    public Guid? CorrelationId { get; init; }
}
