using SesWorker.Core.Sending;

namespace SesWorker.Tests.Sending;

public sealed class ProviderDayTests
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    [Theory]
    [InlineData("2026-12-01T20:00:00+08:00", "2026-12-02T00:00:00+08:00")]
    [InlineData("2026-12-01T23:59:59.900+08:00", "2026-12-02T00:00:00+08:00")]
    [InlineData("2026-12-01T00:10:00+08:00", "2026-12-02T00:00:00+08:00")]
    [InlineData("2026-12-31T16:30:00+00:00", "2027-01-02T00:00:00+08:00")]
    public void A_spent_allowance_waits_for_the_providers_next_midnight(string now, string until)
    {
        Assert.Equal(DateTimeOffset.Parse(until), ProviderDay.SpentUntil(DateTimeOffset.Parse(now)));
    }

    /// <summary>
    /// A refusal in the first minutes of the provider's day is yesterday's (a reply that straddled midnight, the
    /// provider's clock or reset a little behind ours): waiting for the next midnight lost the appId a whole day, and
    /// again every day its quota ran out.
    /// </summary>
    [Theory]
    [InlineData("2026-12-01T00:00:00+08:00")]
    [InlineData("2026-12-01T00:00:00.050+08:00")]
    [InlineData("2026-12-01T00:09:59.999+08:00")]
    [InlineData("2026-11-30T16:05:00+00:00")]
    public void A_spent_allowance_in_the_first_minutes_of_the_providers_day_is_asked_again_minutes_later(string now)
    {
        var moment = DateTimeOffset.Parse(now);

        Assert.Equal(moment + ProviderDay.GraceWait, ProviderDay.SpentUntil(moment));
        Assert.Equal(moment + TimeSpan.FromMinutes(2), ProviderDay.SpentUntil(moment));
    }

    [Fact]
    public void The_daily_quota_and_a_recipients_block_met_just_after_midnight_wait_minutes_not_a_day()
    {
        var justAfter = new DateTimeOffset(2026, 12, 1, 0, 0, 0, 50, Beijing);

        Assert.Equal(justAfter + ProviderDay.GraceWait, FailureClassifier.PauseFor(ErrorCodes.ExceedSendLimit, justAfter)!.Until);
        Assert.Equal(justAfter + ProviderDay.GraceWait, FailureClassifier.PauseFor(ErrorCodes.FrequencyLimit, justAfter)!.Until);
    }
}
