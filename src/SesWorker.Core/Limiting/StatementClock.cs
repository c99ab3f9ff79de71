namespace SesWorker.Core.Limiting;

/// <summary>
/// Where a database statement began on this process's clock, from its round trip and the database's own timestamp of
/// that start. A slot is given on the database's clock as a wait from the statement's start, so the send's moment is
/// only as exact as that start is placed.
/// </summary>
/// <remarks>
/// <para>
/// One round trip alone says only that the start lay between the request going out and the answer coming back (less
/// the statement's own time), each way taking at least half the fastest recent round trip: on a loaded moment, with
/// round trips of 50-75 ms against a fastest of 2, a slot could lie anywhere in 50-70 ms, and the send had to count all
/// of it as lateness (an excuse, or a fresh slot: a second lost to a cascade of them in one CI run).
/// </para>
/// <para>
/// Every round trip also bounds the offset between the two clocks (the database's timestamp less the local moment),
/// and the offset barely moves: the clocks drift apart by at most <c>maxDrift</c> (500 ppm: the fastest an NTP daemon
/// slews a clock). So each placement intersects the bounds of the recent round trips (each widened by the drift since
/// it was measured) with its own, as NTP keeps the samples of least delay: a slow round trip is placed as exactly as
/// the fast ones before it allow. The placement stays within its own round trip's bounds, at their latest: never
/// earlier than one round trip alone would say is possible. Round trips that disagree (a step of either clock) drop the
/// history, and the placement is the round trip's own again.
/// </para>
/// Thread-safe.
/// </remarks>
public sealed class StatementClock(double maxDrift = 500e-6, int capacity = 64, TimeSpan? maxAge = null)
{
    private readonly Lock _lock = new();
    private readonly Sample[] _samples = new Sample[capacity];
    private readonly TimeSpan _maxAge = maxAge ?? TimeSpan.FromMinutes(1);
    private int _count;

    /// <summary>
    /// Places the start of a statement sent at <paramref name="sentAt"/> and answered at <paramref name="receivedAt"/>
    /// (this process's monotonic clock, any origin), which ran <paramref name="statementTime"/> in the database from
    /// <paramref name="startedAt"/> (the database's clock), and learns from it.
    /// </summary>
    public StatementPlacement Place(TimeSpan sentAt, TimeSpan receivedAt, TimeSpan statementTime, DateTimeOffset startedAt)
    {
        var answeredAt = receivedAt - (statementTime > TimeSpan.Zero ? statementTime : TimeSpan.Zero);
        if (answeredAt < sentAt)
            answeredAt = sentAt;
        var current = new Sample(sentAt, answeredAt, startedAt.UtcTicks);
        lock (_lock)
        {
            Forget(receivedAt);
            Keep(current);

            var halfFloor = HalfFloor();
            var (low, high) = current.Offsets(halfFloor);
            var ownLow = low;
            var ownHigh = high;
            for (var i = 0; i < _count; i++)
            {
                var sample = _samples[i];
                if (sample.Equals(current))
                    continue;
                // By the drift over the longest the two starts can lie apart.
                var apart = Math.Max(Math.Abs((answeredAt - sample.SentAt).Ticks), Math.Abs((sample.AnsweredAt - sentAt).Ticks));
                var widen = (long)Math.Ceiling(apart * maxDrift) + 1;
                var (sampleLow, sampleHigh) = sample.Offsets(halfFloor);
                low = Math.Max(low, sampleLow - widen);
                high = Math.Min(high, sampleHigh + widen);
            }

            var agreed = low <= high;
            if (!agreed)
            {
                // A clock stepped, or the floor was wrong: only this round trip is trusted, and only it is kept.
                (low, high) = (ownLow, ownHigh);
                _samples[0] = current;
                _count = 1;
            }

            // The latest start the bounds allow (the least offset): a slot placed from it is never early.
            var start = TimeSpan.FromTicks(current.DatabaseTicks - low);
            return new StatementPlacement(start, TimeSpan.FromTicks(high - low), answeredAt - sentAt, agreed);
        }
    }

    /// <summary>Drops the samples older than the history's age (in place; their order does not matter).</summary>
    private void Forget(TimeSpan now)
    {
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            if (now - _samples[i].AnsweredAt <= _maxAge)
                _samples[kept++] = _samples[i];
        }

        _count = kept;
    }

    /// <summary>Adds the sample, in place of the oldest when the history is full.</summary>
    private void Keep(Sample sample)
    {
        if (_count < _samples.Length)
        {
            _samples[_count++] = sample;
            return;
        }

        var oldest = 0;
        for (var i = 1; i < _count; i++)
        {
            if (_samples[i].AnsweredAt < _samples[oldest].AnsweredAt)
                oldest = i;
        }

        _samples[oldest] = sample;
    }

    /// <summary>Half the fastest round trip kept: what each way takes at least.</summary>
    private long HalfFloor()
    {
        var floor = long.MaxValue;
        for (var i = 0; i < _count; i++)
            floor = Math.Min(floor, (_samples[i].AnsweredAt - _samples[i].SentAt).Ticks);
        return floor / 2;
    }

    /// <param name="SentAt">When the statement went out (local clock).</param>
    /// <param name="AnsweredAt">When its answer came back, less the statement's own time (local clock).</param>
    /// <param name="DatabaseTicks">The statement's start on the database's clock (UTC ticks).</param>
    private readonly record struct Sample(TimeSpan SentAt, TimeSpan AnsweredAt, long DatabaseTicks)
    {
        /// <summary>The offset (database ticks less local ticks) this round trip allows, each way taking at least <paramref name="halfFloor"/>.</summary>
        public (long Low, long High) Offsets(long halfFloor)
        {
            var earliest = SentAt.Ticks + halfFloor;
            var latest = AnsweredAt.Ticks - halfFloor;
            if (latest < earliest)
                latest = earliest = (SentAt.Ticks + AnsweredAt.Ticks) / 2;
            return (DatabaseTicks - latest, DatabaseTicks - earliest);
        }
    }
}

/// <summary>
/// Where a statement began on the local clock (<see cref="StartedAt"/>, the latest the bounds allow), how much earlier it
/// may have begun (<see cref="Uncertainty"/>), its round trip less the statement's own time (<see cref="Transit"/>), and
/// whether the recent round trips agreed with it (false: it was placed by itself, and the history was dropped).
/// </summary>
public readonly record struct StatementPlacement(TimeSpan StartedAt, TimeSpan Uncertainty, TimeSpan Transit, bool Agreed);
