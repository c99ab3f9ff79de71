using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class ClockOffsetTests
{
    // The database's clock runs 1,000 s ahead of this one (which starts at 0).
    private static readonly DateTimeOffset Epoch = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ahead = TimeSpan.FromSeconds(1000);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>An exchange whose remote reading was really taken at local <paramref name="readAt"/>, bounded by [earliest, latest].</summary>
    private static OffsetBounds Exchange(ClockOffset clock, double earliest, double readAt, double latest, TimeSpan? ahead = null) =>
        clock.Observe(Epoch + (ahead ?? Ahead) + Ms(readAt), Ms(earliest), Ms(latest), Ms(latest + 1));

    [Fact]
    public void One_exchange_places_the_reading_at_the_latest_moment_it_allows()
    {
        var bounds = Exchange(new ClockOffset(TimeSpan.FromSeconds(5)), earliest: 100, readAt: 103, latest: 140);

        Assert.Equal(Ms(40), bounds.Width);
        // A slot 50 ms after the reading (really at local 153): placed 50 ms after the exchange's latest moment, late, never early.
        Assert.Equal(Ms(190), bounds.LatestLocal(Epoch + Ahead + Ms(153)));
    }

    [Fact]
    public void A_slow_exchange_after_a_fast_one_is_as_certain_as_the_fast_one()
    {
        var clock = new ClockOffset(TimeSpan.FromSeconds(5));
        Exchange(clock, earliest: 0, readAt: 0.5, latest: 1);

        // A 60 ms round trip (a wait for the row lock, a thread run late): alone it would be 60 ms uncertain.
        var bounds = Exchange(clock, earliest: 500, readAt: 530, latest: 560);

        Assert.InRange(bounds.Width.TotalMilliseconds, 1, 1.6);
        // The truth (offset 1,000 s exactly) is inside, and the reading is placed at most the width late.
        var truth = TimeSpan.FromTicks(Epoch.UtcTicks) + Ahead;
        Assert.InRange(truth, bounds.Low, bounds.High);
        Assert.InRange(bounds.LatestLocal(Epoch + Ahead + Ms(530)).TotalMilliseconds, 530, 531.6);
    }

    [Fact]
    public void An_exchange_widens_with_age_by_the_drift_the_clocks_may_have()
    {
        var clock = new ClockOffset(TimeSpan.FromSeconds(5), maxDrift: 500e-6);
        Exchange(clock, earliest: 0, readAt: 0.5, latest: 1);

        var bounds = Exchange(clock, earliest: 2_000, readAt: 2_050, latest: 2_100);

        // 1 ms wide, then about 2.1 s old: about 1 ms more either way.
        Assert.InRange(bounds.Width.TotalMilliseconds, 3.0, 3.2);
    }

    [Fact]
    public void Exchanges_older_than_the_maximum_age_are_forgotten()
    {
        var clock = new ClockOffset(TimeSpan.FromSeconds(1));
        Exchange(clock, earliest: 0, readAt: 0.5, latest: 1);

        var bounds = Exchange(clock, earliest: 2_000, readAt: 2_030, latest: 2_060);

        Assert.Equal(Ms(60), bounds.Width);
    }

    [Fact]
    public void An_exchange_that_contradicts_the_others_starts_again_from_itself()
    {
        var clock = new ClockOffset(TimeSpan.FromSeconds(5));
        Exchange(clock, earliest: 0, readAt: 0.5, latest: 1);

        // The database's clock was stepped 200 ms back.
        var stepped = Ahead - Ms(200);
        var bounds = Exchange(clock, earliest: 100, readAt: 110, latest: 120, stepped);

        Assert.Equal(Ms(20), bounds.Width);
        Assert.InRange(TimeSpan.FromTicks(Epoch.UtcTicks) + stepped, bounds.Low, bounds.High);
        // And the next exchanges intersect with it, not with the one before the step.
        var next = Exchange(clock, earliest: 300, readAt: 301, latest: 302, stepped);
        Assert.Equal(Ms(2), next.Width);
    }
}
