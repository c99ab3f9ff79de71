using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

/// <summary>
/// The gate's turns from what a period saw. The samples are the shapes of measured runs (one worker at 100 ms per reply
/// with 20 appIds below their rates; three workers on two cores, most sends late; one appId at its full rate).
/// </summary>
public sealed class GateSizingTests
{
    private const int Floor = 32;
    private const int Ceiling = 128;

    [Fact]
    public void Sends_waiting_for_a_turn_on_time_and_below_their_rates_get_more_turns_up_to_the_ceiling()
    {
        // One worker, 20 appIds at 100 ms per reply: 146 slots a period, 5 late (3.4%), every appId below its rate.
        var sample = new GateSample(Waits: 300, Slots: 146, SlotsBelowRate: 140, LateSends: 5);

        Assert.Equal([48, 64, 80, 96, 112, 128, 128, 128, 128, 128], Steps(Floor, sample, 10));
    }

    [Fact]
    public void Sends_still_waiting_from_before_the_period_ask_for_more_turns_too()
    {
        // One worker, 200 appIds at 300 ms per reply: their lanes delivered the whole backlog in the first second, so no
        // send began to wait after it while a thousand still waited; every slot on time and below its appId's rate.
        var sample = new GateSample(Waits: 0, Slots: 52, SlotsBelowRate: 52, LateSends: 0, WaitingNow: 1000);

        Assert.Equal([48, 64, 80], Steps(Floor, sample, 3));
        Assert.Equal(64, GateSizing.Next(64, Floor, Ceiling, sample with { WaitingNow = 0 }));
    }

    [Fact]
    public void Sends_going_late_take_a_quarter_of_the_turns_back_down_to_the_floor()
    {
        // Three workers on two cores: 73% of the sends found late.
        var sample = new GateSample(Waits: 50, Slots: 40, SlotsBelowRate: 30, LateSends: 29);

        Assert.Equal([96, 72, 54, 41, 32, 32], Steps(Ceiling, sample, 6));
    }

    /// <summary>The turns after each of <paramref name="periods"/> periods that all saw <paramref name="sample"/>.</summary>
    private static List<int> Steps(int turns, GateSample sample, int periods)
    {
        var steps = new List<int>();
        for (var i = 0; i < periods; i++)
            steps.Add(turns = GateSizing.Next(turns, Floor, Ceiling, sample));
        return steps;
    }

    [Theory]
    // An appId at its full rate: the limiter binds, not the turns (its slots have no room before them).
    [InlineData(100, 60, 10, 0)]
    // Nobody waited for a turn.
    [InlineData(0, 60, 60, 0)]
    // Too few slots to judge: a backlog's first seconds (the crash benchmark's start, every appId's slots with room).
    [InlineData(100, 39, 39, 0)]
    [InlineData(29, 30, 21, 0)]
    // Between growing and shrinking: 15% late.
    [InlineData(100, 100, 100, 15)]
    // Exactly at the shrink line: 20% is not above it.
    [InlineData(100, 100, 100, 20)]
    public void Otherwise_the_turns_stay(long waits, long slots, long belowRate, long late) =>
        Assert.Equal(64, GateSizing.Next(64, Floor, Ceiling, new GateSample(waits, slots, belowRate, late)));

    [Fact]
    public void Exactly_a_tenth_late_still_grows_and_just_over_a_fifth_shrinks()
    {
        Assert.Equal(80, GateSizing.Next(64, Floor, Ceiling, new GateSample(1, 100, 50, 10)));
        Assert.Equal(48, GateSizing.Next(64, Floor, Ceiling, new GateSample(1, 100, 50, 21)));
        Assert.Equal(64, GateSizing.Next(64, Floor, Ceiling, new GateSample(1, 100, 49, 10)));
    }

    [Fact]
    public void Turns_outside_the_range_come_back_into_it()
    {
        Assert.Equal(Floor, GateSizing.Next(4, Floor, Ceiling, default));
        Assert.Equal(Ceiling, GateSizing.Next(500, Floor, Ceiling, default));
        Assert.Equal(8, GateSizing.Next(8, 8, 8, new GateSample(100, 100, 100, 0)));
    }

    [Fact]
    public void The_range_is_the_floor_capped_by_the_ceiling()
    {
        Assert.Equal((32, 128), new WorkerOptions().ConcurrentSendsRange);
        Assert.Equal((4, 4), new WorkerOptions { MaxConcurrentSends = 4 }.ConcurrentSendsRange);
        Assert.Equal((64, 64), new WorkerOptions { MinConcurrentSends = 64, MaxConcurrentSends = 64 }.ConcurrentSendsRange);
    }

    [Fact]
    public void A_period_is_the_difference_of_two_readings_of_the_running_counts()
    {
        var earlier = new GateSample(Waits: 10, Slots: 100, SlotsBelowRate: 60, LateSends: 3);
        var now = new GateSample(Waits: 310, Slots: 246, SlotsBelowRate: 200, LateSends: 8);

        Assert.Equal(new GateSample(300, 146, 140, 5), now - earlier);
        // The sends waiting now are a reading, not a running count.
        Assert.Equal(7, ((now with { WaitingNow = 7 }) - (earlier with { WaitingNow = 900 })).WaitingNow);
    }
}
