using Microsoft.Extensions.Time.Testing;
using SesWorker.Worker.Hosting;

namespace SesWorker.Tests.Hosting;

public sealed class HeartbeatRunTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TakeoverAfter = TimeSpan.FromSeconds(8);
    private readonly FakeTimeProvider _clock = new();

    private HeartbeatRun Run() => new(_clock, 2 * Interval);

    private void BeatFor(HeartbeatRun run, TimeSpan span)
    {
        for (var elapsed = TimeSpan.Zero; elapsed <= span; elapsed += Interval)
        {
            run.Succeeded();
            if (elapsed + Interval <= span)
                _clock.Advance(Interval);
        }
    }

    [Fact]
    public void A_worker_that_has_beaten_without_a_gap_for_the_takeover_time_may_take_over()
    {
        var run = Run();

        BeatFor(run, TakeoverAfter - Interval);
        Assert.False(run.MayTakeOver(TakeoverAfter));
        _clock.Advance(Interval);
        run.Succeeded();

        Assert.True(run.MayTakeOver(TakeoverAfter));
    }

    [Fact]
    public void A_worker_just_started_takes_over_nothing()
    {
        var run = Run();
        run.Succeeded();

        Assert.False(run.MayTakeOver(TakeoverAfter));
    }

    /// <summary>The database away: every worker's beat failed, so another's silence says nothing until this one has beaten a whole takeover time again.</summary>
    [Fact]
    public void A_failed_beat_starts_the_count_again()
    {
        var run = Run();
        BeatFor(run, TimeSpan.FromSeconds(30));
        Assert.True(run.MayTakeOver(TakeoverAfter));

        run.Failed();
        Assert.False(run.MayTakeOver(TakeoverAfter));
        _clock.Advance(TimeSpan.FromSeconds(15));
        BeatFor(run, TakeoverAfter - Interval);

        Assert.False(run.MayTakeOver(TakeoverAfter));
        _clock.Advance(Interval);
        run.Succeeded();
        Assert.True(run.MayTakeOver(TakeoverAfter));
    }

    /// <summary>A beat that hangs (PostgreSQL frozen: no answer, no failure yet) is a gap too, and so is a beat that came back too late.</summary>
    [Fact]
    public void A_beat_overdue_or_late_is_a_gap()
    {
        var run = Run();
        BeatFor(run, TimeSpan.FromSeconds(30));

        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False(run.MayTakeOver(TakeoverAfter));
        run.Succeeded();

        Assert.False(run.MayTakeOver(TakeoverAfter));
    }
}
