using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class GcraTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = Gcra.Interval(20, 0.02);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(400);

    /// <summary>A key's state and a clock, as the database keeps them; callers send at the slot they were given.</summary>
    private sealed class Key
    {
        public DateTimeOffset? Tat { get; private set; }

        public List<DateTimeOffset> Sends { get; } = [];

        public GcraDecision Ask(DateTimeOffset now)
        {
            var decision = Gcra.Reserve(Tat, now, Interval, MaxWait);
            if (decision.Granted)
            {
                Tat = decision.NewTheoreticalArrival;
                Sends.Add(now + decision.Wait);
            }

            return decision;
        }
    }

    private static int MostInAnyWindow(IReadOnlyList<DateTimeOffset> sends, TimeSpan window)
    {
        var sorted = sends.Order().ToList();
        var most = 0;
        for (int i = 0, j = 0; i < sorted.Count; i++)
        {
            while (sorted[i] - sorted[j] >= window)
                j++;
            most = Math.Max(most, i - j + 1);
        }

        return most;
    }

    [Fact]
    public void The_interval_includes_the_safety_margin()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), Gcra.Interval(20, 0));
        Assert.InRange(Gcra.Interval(20, 0.02).TotalMilliseconds, 51.02, 51.03);
    }

    [Fact]
    public void Steady_backlog_runs_at_the_rate_and_never_more_than_twenty_in_a_second()
    {
        var key = new Key();
        var now = Start;
        while (key.Sends.Count < 1000)
        {
            var decision = key.Ask(now);
            now += decision.Granted ? TimeSpan.FromMilliseconds(1) : decision.RetryAfter;
        }

        var span = key.Sends[^1] - key.Sends[0];
        Assert.InRange(999 / span.TotalSeconds, 19.55, 19.65);
        Assert.Equal(20, MostInAnyWindow(key.Sends, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_burst_of_a_hundred_callers_at_one_instant_is_spread_not_admitted()
    {
        var key = new Key();
        var granted = Enumerable.Range(0, 100).Select(_ => key.Ask(Start)).Count(d => d.Granted);

        // Only the slots within the maximum wait are reserved; the rest are told when to come back.
        Assert.Equal((int)(MaxWait / Interval) + 1, granted);
        Assert.True(MostInAnyWindow(key.Sends, TimeSpan.FromSeconds(1)) <= 20);
        Assert.All(key.Sends.Zip(key.Sends.Skip(1)), pair => Assert.Equal(Interval, pair.Second - pair.First));
    }

    [Fact]
    public void Idle_time_is_not_banked_into_a_later_burst()
    {
        var key = new Key();
        key.Ask(Start);
        var later = Start + TimeSpan.FromMinutes(5);
        for (var i = 0; i < 50; i++)
            key.Ask(later);

        var burst = key.Sends.Skip(1).ToList();
        Assert.Equal(later, burst[0]);
        Assert.True(MostInAnyWindow(burst, TimeSpan.FromSeconds(1)) <= 20);
    }

    [Fact]
    public void Denied_callers_are_told_when_a_slot_will_be_within_reach()
    {
        var key = new Key();
        GcraDecision last = default;
        for (var i = 0; i < 20; i++)
            last = key.Ask(Start);

        Assert.False(last.Granted);
        var retry = key.Ask(Start + last.RetryAfter);
        Assert.True(retry.Granted);
        Assert.InRange(retry.Wait, TimeSpan.Zero, MaxWait);
    }

    [Fact]
    public void Keys_are_independent()
    {
        var keys = Enumerable.Range(0, 100).Select(_ => new Key()).ToList();
        foreach (var key in keys)
            Assert.True(key.Ask(Start).Granted);
        Assert.All(keys, k => Assert.Equal(Start, k.Sends.Single()));
    }

    [Fact]
    public void A_clock_stepping_back_does_not_release_extra_slots_and_a_step_forward_does_not_burst()
    {
        var key = new Key();
        for (var i = 0; i < 5; i++)
            key.Ask(Start);
        var tat = key.Tat!.Value;

        // The database clock steps back a second: slots keep coming after the last reserved one.
        var back = key.Ask(Start - TimeSpan.FromSeconds(1));
        Assert.False(back.Granted);
        Assert.Equal(tat, key.Tat);

        // It steps forward an hour: one slot now, then the interval again, never a burst.
        var forward = Start + TimeSpan.FromHours(1);
        for (var i = 0; i < 30; i++)
            key.Ask(forward);
        Assert.True(MostInAnyWindow(key.Sends.Where(s => s >= forward).ToList(), TimeSpan.FromSeconds(1)) <= 20);
    }
}
