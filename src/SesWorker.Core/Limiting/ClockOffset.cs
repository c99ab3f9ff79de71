namespace SesWorker.Core.Limiting;

/// <summary>
/// Where another clock (the database's) stands against this process's, learnt from request and answer exchanges as
/// NTP learns it. One exchange says the other clock was read at some moment between the request going out and the
/// answer arriving (less the other side's own time after the reading): that bounds the offset (other clock minus ours) to
/// a span as wide as the exchange's transit. Recent exchanges bound the same offset, so their spans intersect, each
/// widened by how far the two clocks may have drifted apart since it was taken. A reading is then placed at the latest
/// local moment the intersection allows (never early), and may be earlier by the intersection's width: about the best
/// recent exchange's width, not the current one's. A slow exchange (a wait for a row lock, a thread that ran late) no
/// longer makes its own reading uncertain.
/// </summary>
/// <remarks>
/// An exchange whose span misses the intersection (the other clock was stepped, or drifted faster than allowed) starts
/// it again from that exchange alone. Nothing is assumed of how the transit splits between the two ways: a caller that
/// assumed each way took at least half the fastest transit seen so far took a cold start's slow first exchange as exact,
/// and the intersection kept that error for seconds. Not thread-safe: callers lock.
/// </remarks>
/// <param name="maxAge">Exchanges older than this are forgotten.</param>
/// <param name="maxDrift">How fast the two clocks may drift apart, as a fraction (500 ppm: a clock being slewed by NTP).</param>
public sealed class ClockOffset(TimeSpan maxAge, double maxDrift = 500e-6)
{
    private readonly Queue<Span> _spans = new();

    /// <summary>
    /// Records an exchange and returns what the offset is now known to lie within.
    /// </summary>
    /// <param name="remoteAt">The other clock's reading, taken somewhere within the exchange.</param>
    /// <param name="earliest">The earliest local moment the reading can have been taken (the request's departure).</param>
    /// <param name="latest">The latest local moment (the answer's arrival less the other side's own time after the reading).</param>
    /// <param name="now">This clock now (ages the exchanges).</param>
    public OffsetBounds Observe(DateTimeOffset remoteAt, TimeSpan earliest, TimeSpan latest, TimeSpan now)
    {
        if (latest < earliest)
            latest = earliest;
        var remote = TimeSpan.FromTicks(remoteAt.UtcTicks);
        var span = new Span(now, remote - latest, remote - earliest);
        while (_spans.Count > 0 && now - _spans.Peek().At > maxAge)
            _spans.Dequeue();
        _spans.Enqueue(span);

        var (low, high) = (span.Low, span.High);
        foreach (var other in _spans)
        {
            var drift = (now - other.At) * maxDrift;
            var otherLow = other.Low - drift;
            var otherHigh = other.High + drift;
            if (otherLow > low)
                low = otherLow;
            if (otherHigh < high)
                high = otherHigh;
        }

        if (low <= high)
            return new OffsetBounds(low, high);

        // This exchange contradicts the ones before it: trust it alone from here on.
        _spans.Clear();
        _spans.Enqueue(span);
        return new OffsetBounds(span.Low, span.High);
    }

    private readonly record struct Span(TimeSpan At, TimeSpan Low, TimeSpan High);
}

/// <summary>The offset (other clock minus this one) lies within [<see cref="Low"/>, <see cref="High"/>].</summary>
public readonly record struct OffsetBounds(TimeSpan Low, TimeSpan High)
{
    /// <summary>How much earlier than <see cref="LatestLocal"/> the other clock's reading may really lie here.</summary>
    public TimeSpan Width => High - Low;

    /// <summary>The latest local moment the other clock's <paramref name="remoteAt"/> can correspond to.</summary>
    public TimeSpan LatestLocal(DateTimeOffset remoteAt) => TimeSpan.FromTicks(remoteAt.UtcTicks) - Low;
}
