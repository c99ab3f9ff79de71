using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class RecipientWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public void Ten_sends_in_the_hour_fit_the_eleventh_waits_for_the_oldest_to_leave()
    {
        var sends = Enumerable.Range(0, 10).Select(i => Now - TimeSpan.FromMinutes(50 - i)).ToList();

        Assert.Null(RecipientWindow.NextFree(sends.Take(9), Now, 10, Hour));
        Assert.Equal(sends[0] + Hour, RecipientWindow.NextFree(sends, Now, 10, Hour));
    }

    [Fact]
    public void Sends_older_than_the_window_do_not_count()
    {
        var old = Enumerable.Range(0, 30).Select(i => Now - Hour - TimeSpan.FromMinutes(i)).ToList();

        Assert.Null(RecipientWindow.NextFree(old, Now, 10, Hour));
    }

    [Fact]
    public void The_window_slides_rather_than_resetting_on_the_hour()
    {
        // Ten sends at 11:59:30: at 12:00:10 a clock-hour counter would allow ten more; the sliding window does not.
        var sends = Enumerable.Repeat(Now - TimeSpan.FromSeconds(30), 10).ToList();

        Assert.Equal(Now - TimeSpan.FromSeconds(30) + Hour, RecipientWindow.NextFree(sends, Now + TimeSpan.FromSeconds(40), 10, Hour));
    }
}
