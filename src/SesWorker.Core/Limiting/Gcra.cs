namespace SesWorker.Core.Limiting;

/// <summary>
/// The generic cell rate algorithm in its reservation form, with no burst: each grant takes the next free
/// slot, one emission interval after the previous one, and tells the caller how long to wait for it.
/// So grants are spaced by at least the interval and no one-second window ever holds more than the rate,
/// while a backlog runs at exactly the rate. PostgresRateLimiter runs the same arithmetic in one SQL
/// statement on the database clock; this is its reference, tested with a controlled clock.
/// </summary>
public static class Gcra
{
    /// <param name="theoreticalArrival">The key's stored TAT, or null for a key never seen.</param>
    /// <param name="now">The one clock (the database's).</param>
    /// <param name="interval">1 / rate.</param>
    /// <param name="maxWait">A slot further away than this is not reserved: the caller is told to come back.</param>
    public static GcraDecision Reserve(DateTimeOffset? theoreticalArrival, DateTimeOffset now, TimeSpan interval, TimeSpan maxWait)
    {
        var start = theoreticalArrival is { } tat && tat > now ? tat : now;
        var wait = start - now;
        if (wait > maxWait)
            return new GcraDecision(false, wait, theoreticalArrival ?? now, wait - maxWait);
        return new GcraDecision(true, wait, start + interval, TimeSpan.Zero);
    }

    /// <summary>The interval for a rate, reduced by a safety margin (0.02 = run 2% under the provider's limit).</summary>
    public static TimeSpan Interval(double ratePerSecond, double safetyMargin)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(safetyMargin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(safetyMargin, 1);
        return TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / (ratePerSecond * (1 - safetyMargin))));
    }
}
