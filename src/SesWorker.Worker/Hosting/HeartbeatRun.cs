namespace SesWorker.Worker.Hosting;

/// <summary>
/// Whether this worker may take over the claims of a worker that stopped beating. A silent owner is dead only if the
/// database took beats all along: while PostgreSQL is away nobody's beat is written, so once it is back every worker
/// looks silent, and a copy of an email claimed by another replica before its owner's next beat (at most a
/// <see cref="Sending.WorkerOptions.HeartbeatInterval"/> away) was taken over and sent again, the owner still waiting
/// out the outage to record its outcome: a live worker's email sent twice. So a takeover needs this worker's own beats
/// to have gone through, without a gap, for the whole of <see cref="Sending.WorkerOptions.TakeoverAfter"/>: an owner
/// alive in that time would have beaten too. The price: a worker just started (or back from an outage) takes over
/// nothing in its first <c>TakeoverAfter</c>; another replica that has run does, and a worker that stopped cleanly
/// removed its row, so its emails are taken at once.
/// </summary>
public sealed class HeartbeatRun(TimeProvider timeProvider, TimeSpan maxGap)
{
    private readonly Lock _lock = new();
    private long _since = -1;
    private long _last = -1;

    /// <summary>A beat was written. A gap longer than the largest allowed since the last one starts a new run.</summary>
    public void Succeeded()
    {
        var now = timeProvider.GetTimestamp();
        lock (_lock)
        {
            if (_last < 0 || timeProvider.GetElapsedTime(_last, now) > maxGap)
                _since = now;
            _last = now;
        }
    }

    /// <summary>A beat was not written: the run is broken.</summary>
    public void Failed()
    {
        lock (_lock)
        {
            _since = -1;
            _last = -1;
        }
    }

    /// <summary>This worker's beats went through, none further apart than allowed, for at least <paramref name="takeoverAfter"/>, up to now.</summary>
    public bool MayTakeOver(TimeSpan takeoverAfter)
    {
        var now = timeProvider.GetTimestamp();
        lock (_lock)
        {
            return _since >= 0
                && timeProvider.GetElapsedTime(_last, now) <= maxGap
                && timeProvider.GetElapsedTime(_since, now) >= takeoverAfter;
        }
    }
}
