namespace SesWorker.Persistence.History;

/// <summary>What one row of send_attempts ended in, as stored.</summary>
public static class AttemptOutcome
{
    public const string Sent = "sent";
    public const string Transient = "transient";
    public const string Unknown = "unknown";
    public const string Permanent = "permanent";
    public const string RateLimited = "rate_limited";
    public const string Oversize = "oversize";
    public const string Deferred = "deferred";
}
