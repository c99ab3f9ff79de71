namespace SesWorker.Core.Sending;

/// <summary>
/// The provider's day runs on Beijing time (UTC+8): daily quotas and recipient blocks reset at its midnight (the SES FAQ).
/// </summary>
public static class ProviderDay
{
    private static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateTimeOffset NextStart(DateTimeOffset now)
    {
        var local = now.ToOffset(Offset);
        return new DateTimeOffset(local.Date.AddDays(1), Offset).ToUniversalTime();
    }
}
