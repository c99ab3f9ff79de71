namespace SesWorker.Core.Limiting;

/// <summary>
/// The generic cell rate algorithm's emission interval. The algorithm itself (reservation form, no burst) runs in
/// PostgreSQL, in one statement on the database clock (<c>PostgresRateLimiter</c>), and is tested there.
/// </summary>
public static class Gcra
{
    /// <summary>The interval for a rate, reduced by a safety margin (0.02 = run 2% under the provider's limit).</summary>
    public static TimeSpan Interval(double ratePerSecond, double safetyMargin)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(safetyMargin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(safetyMargin, 1);
        return TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / (ratePerSecond * (1 - safetyMargin))));
    }
}
