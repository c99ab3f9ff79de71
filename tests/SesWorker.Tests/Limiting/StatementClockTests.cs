using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

/// <summary>
/// <see cref="StatementClock"/> against a simulated database: its clock runs at a known offset (and drift) from the local
/// one, requests and answers take known times each way, so the true start of every statement is known.
/// </summary>
public sealed class StatementClockTests
{
    private static readonly DateTimeOffset DatabaseEpoch = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(10);

    [Fact]
    public void A_first_round_trip_is_placed_at_its_own_latest_possible_start()
    {
        var clock = new StatementClock();
        var database = new SimulatedDatabase(offset: TimeSpan.FromHours(3));

        var (placement, truth) = database.RoundTrip(clock, at: TimeSpan.FromSeconds(10), outward: Ms(3), back: Ms(5), statement: Ms(1));

        // Alone, the fastest round trip is itself: each way took at least half of its 8 ms.
        Assert.Equal(TimeSpan.FromSeconds(10) + Ms(3 + 1 + 5) - Ms(1) - Ms(4), placement.StartedAt);
        Assert.Equal(TimeSpan.Zero, placement.Uncertainty);
        Assert.Equal(Ms(8), placement.Transit);
        Assert.True(placement.StartedAt >= truth - Ms(1), "the placement may be early by the fastest round trip's asymmetry only");
    }

    [Fact]
    public void A_slow_round_trip_after_fast_ones_is_placed_as_exactly_as_the_fast_ones_allow_and_never_early()
    {
        var clock = new StatementClock();
        var database = new SimulatedDatabase(offset: TimeSpan.FromMinutes(-7));
        var random = new Random(11);
        var at = TimeSpan.FromSeconds(100);
        var slow = 0;
        database.RoundTrip(clock, at, Ms(1), Ms(1), Ms(1));
        for (var i = 0; i < 2_000; i++)
        {
            at += Ms(random.Next(5, 60));
            // Each way at least 1 ms; often more (a busy machine, a wait for the row lock), now and then 40-80 ms.
            var outward = Ms(1) + Noise(random);
            var back = Ms(1) + Noise(random);
            var (placement, truth) = database.RoundTrip(clock, at, outward, back, statement: Ms(random.Next(0, 3)));

            Assert.True(placement.StartedAt >= truth - Tick, $"round trip {i}: placed {(truth - placement.StartedAt).TotalMilliseconds:F3} ms early");
            if (outward + back > Ms(40))
            {
                slow++;
                // Its own bounds were 40 ms or more apart; the fast ones before it pin the offset.
                Assert.True(placement.Uncertainty <= Ms(1), $"round trip {i} of {(outward + back).TotalMilliseconds:F0} ms: uncertainty {placement.Uncertainty.TotalMilliseconds:F2} ms");
                Assert.True(placement.Agreed);
            }
        }

        Assert.True(slow > 50, $"only {slow} slow round trips: the test shows nothing");
    }

    [Fact]
    public void Clocks_drifting_apart_within_the_bound_are_followed_and_never_placed_early()
    {
        // The database's clock gains 400 us a second (an NTP daemon slewing at nearly its fastest).
        var clock = new StatementClock(maxDrift: 500e-6);
        var database = new SimulatedDatabase(offset: TimeSpan.Zero, drift: 400e-6);
        var random = new Random(5);
        var at = TimeSpan.Zero;
        // The assumption every placement rests on (each way takes at least half the fastest round trip) holds from the start.
        database.RoundTrip(clock, at, Ms(1), Ms(1), Ms(1));
        var disagreed = 0;
        for (var i = 0; i < 3_000; i++)
        {
            at += Ms(random.Next(10, 40));
            var (placement, truth) = database.RoundTrip(clock, at, Ms(1) + Noise(random), Ms(1) + Noise(random), Ms(1));
            Assert.True(placement.StartedAt >= truth - Tick, $"round trip {i}: placed {(truth - placement.StartedAt).TotalMilliseconds:F3} ms early");
            if (!placement.Agreed)
                disagreed++;
        }

        // A drift within the bound is not taken for a step: the history is kept.
        Assert.Equal(0, disagreed);
    }

    [Fact]
    public void A_step_of_the_database_clock_drops_the_history_and_is_never_placed_early()
    {
        var clock = new StatementClock();
        var database = new SimulatedDatabase(offset: TimeSpan.Zero);
        var at = TimeSpan.FromSeconds(1);
        for (var i = 0; i < 50; i++)
            database.RoundTrip(clock, at += Ms(20), Ms(1), Ms(1), Ms(1));

        // Stepped back 200 ms: the history says the statement began 200 ms later than it could have.
        database.Offset -= Ms(200);
        var (placement, truth) = database.RoundTrip(clock, at += Ms(20), Ms(1), Ms(30), Ms(1));

        Assert.False(placement.Agreed);
        Assert.True(placement.StartedAt >= truth - Tick);
        Assert.Equal(Ms(30) - Ms(1), placement.Uncertainty);
        // The next ones are placed from the new offset, as exactly as before.
        var (next, nextTruth) = database.RoundTrip(clock, at += Ms(20), Ms(1), Ms(1), Ms(1));
        Assert.True(next.StartedAt >= nextTruth - Tick);
        Assert.True(next.Agreed);
    }

    [Fact]
    public void Round_trips_older_than_the_history_keeps_do_not_narrow_a_placement()
    {
        var clock = new StatementClock(maxAge: TimeSpan.FromSeconds(30));
        var database = new SimulatedDatabase(offset: TimeSpan.Zero);
        database.RoundTrip(clock, TimeSpan.FromSeconds(1), Ms(1), Ms(1), Ms(1));

        var (placement, _) = database.RoundTrip(clock, TimeSpan.FromSeconds(60), Ms(1), Ms(41), Ms(1));

        // Placed by its own round trip (and its own floor): the fast one of a minute ago is forgotten.
        Assert.Equal(TimeSpan.Zero, placement.Uncertainty);
        Assert.True(placement.Agreed);
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>
    /// 0 a third of the time, otherwise up to 8 ms, and 2% 40-80 ms: the fastest round trips are even both ways, as the
    /// placement assumes (a fastest round trip that is uneven places starts early by up to half its unevenness, with or
    /// without the history).
    /// </summary>
    private static TimeSpan Noise(Random random) => random.Next(100) switch
    {
        < 33 => TimeSpan.Zero,
        < 98 => Ms(random.NextDouble() * 8),
        _ => Ms(40 + random.NextDouble() * 40),
    };

    private sealed class SimulatedDatabase(TimeSpan offset, double drift = 0)
    {
        public TimeSpan Offset { get; set; } = offset;

        /// <summary>A statement sent at <paramref name="at"/> (local clock); returns the placement and the statement's true local start.</summary>
        public (StatementPlacement Placement, TimeSpan Truth) RoundTrip(StatementClock clock, TimeSpan at, TimeSpan outward, TimeSpan back, TimeSpan statement)
        {
            var start = at + outward;
            var databaseStart = DatabaseEpoch + start + Offset + TimeSpan.FromTicks((long)(start.Ticks * drift));
            var placement = clock.Place(at, start + statement + back, statement, databaseStart);
            return (placement, start);
        }
    }
}
