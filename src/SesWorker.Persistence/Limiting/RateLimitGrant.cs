namespace SesWorker.Persistence.Limiting;

/// <summary>The database's answer: a reserved slot <see cref="Wait"/> from now, or no slot and when to ask again, or a pause.</summary>
public readonly record struct RateLimitGrant(bool Granted, TimeSpan Wait, TimeSpan RetryAfter, DateTimeOffset? PausedUntil = null);
