namespace SesWorker.Core.Sending;

/// <summary>Where a failed send goes next. See <see cref="FailureClassifier"/> for the table.</summary>
public enum FailureClass
{
    /// <summary>Might succeed later: bounded retries with exponential backoff and jitter.</summary>
    Transient,

    /// <summary>Will never succeed as sent: recorded as failed, never retried.</summary>
    Permanent,

    /// <summary>The provider throttled us: dead-lettered to the rate-limited queue, which returns it later.</summary>
    RateLimited,

    /// <summary>Over a size rule: dead-lettered to the oversize queue for an operator.</summary>
    Oversize,
}
