namespace SesWorker.Core.Sending;

/// <summary>
/// The provider's day runs on Beijing time (UTC+8): daily quotas and recipient blocks reset at its midnight (the SES FAQ).
/// </summary>
public static class ProviderDay
{
    private static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    /// <summary>
    /// How long after the provider's midnight a "spent until tomorrow" refusal is taken for yesterday's: a send whose
    /// reply straddled midnight, or the provider's clock or reset a little behind ours. Paused until the next midnight
    /// then, the appId lost a whole day, and again every day its quota ran out.
    /// </summary>
    public static readonly TimeSpan ResetGrace = TimeSpan.FromMinutes(10);

    /// <summary>The wait after such a refusal in <see cref="ResetGrace"/>: the provider is asked again this much later.</summary>
    public static readonly TimeSpan GraceWait = TimeSpan.FromMinutes(2);

    public static DateTimeOffset NextStart(DateTimeOffset now)
    {
        var local = now.ToOffset(Offset);
        return new DateTimeOffset(local.Date.AddDays(1), Offset).ToUniversalTime();
    }

    /// <summary>
    /// When to ask the provider again after it said the day's allowance is spent (the daily quota, one recipient's
    /// block): its next midnight, unless the day began less than <see cref="ResetGrace"/> ago (then <see cref="GraceWait"/>
    /// from now). The limiter's SQL computes the same on the database's clock (PostgresRateLimiter).
    /// </summary>
    public static DateTimeOffset SpentUntil(DateTimeOffset now)
    {
        var next = NextStart(now);
        return now < next.AddDays(-1) + ResetGrace ? now + GraceWait : next;
    }
}
