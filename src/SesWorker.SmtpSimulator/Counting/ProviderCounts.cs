namespace SesWorker.SmtpSimulator.Counting;

/// <summary>
/// What the provider can count per appId and when: the time of each MAIL FROM answered 250 and of each end of DATA,
/// on the simulator's clock. The rate rule itself is judged at the end of DATA; both points are kept because which
/// moment the provider counts is not documented, and a sender must stay within the limit at either.
/// Thread-safe; cleared by <see cref="SmtpSimulatorServer.Reset"/>; each list keeps the newest
/// <see cref="SimulatorOptions.MaxRetainedTransactions"/> entries.
/// </summary>
public sealed class ProviderCounts
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private readonly Dictionary<(string AppId, CountPoint Point), List<DateTimeOffset>> times = [];
    private readonly int retain;

    internal ProviderCounts(int retain) => this.retain = retain;

    /// <summary>The appIds with at least one count.</summary>
    public IReadOnlyList<string> AppIds
    {
        get
        {
            lock (gate)
            {
                return times.Keys.Select(k => k.AppId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            }
        }
    }

    /// <summary>The recorded times of <paramref name="appId"/> at <paramref name="point"/>, oldest first (a snapshot).</summary>
    public IReadOnlyList<DateTimeOffset> Times(string appId, CountPoint point)
    {
        ArgumentNullException.ThrowIfNull(appId);
        DateTimeOffset[] snapshot;
        lock (gate)
        {
            snapshot = times.TryGetValue((appId, point), out var list) ? list.ToArray() : [];
        }

        // Concurrent connections append in nearly, not strictly, increasing order.
        Array.Sort(snapshot);
        return snapshot;
    }

    /// <summary>
    /// The most counts of <paramref name="appId"/> at <paramref name="point"/> inside any window of length
    /// <paramref name="window"/>, half-open (<c>[t, t + window)</c>, as the rate rule counts), optionally only those at
    /// or after <paramref name="since"/>.
    /// </summary>
    public int MaxInAnyWindow(string appId, CountPoint point, TimeSpan window, DateTimeOffset? since = null) =>
        MaxInAnyWindow(Times(appId, point).Where(t => since is null || t >= since).ToArray(), window);

    /// <summary><see cref="MaxInAnyWindow(string, CountPoint, TimeSpan, DateTimeOffset?)"/> over one second: the provider's 20/s rule.</summary>
    public int MaxInAnySecond(string appId, CountPoint point, DateTimeOffset? since = null) => MaxInAnyWindow(appId, point, Second, since);

    /// <summary>
    /// How close the limit came: the shortest span of <paramref name="calls"/> consecutive counts of <paramref name="appId"/>
    /// at <paramref name="point"/> (21 for a 20-per-second rule: over a second is within it), or null with fewer counts.
    /// </summary>
    public TimeSpan? TightestSpan(string appId, CountPoint point, int calls, DateTimeOffset? since = null) =>
        TightestSpan(Times(appId, point).Where(t => since is null || t >= since).ToArray(), calls);

    /// <summary>The same span over any sorted list of times (e.g. another provider's log).</summary>
    public static TimeSpan? TightestSpan(IReadOnlyList<DateTimeOffset> sorted, int calls)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        TimeSpan? tightest = null;
        for (var i = 0; i + calls - 1 < sorted.Count; i++)
        {
            var span = sorted[i + calls - 1] - sorted[i];
            if (tightest is null || span < tightest)
                tightest = span;
        }

        return tightest;
    }

    /// <summary>Calls per second from the first of a sorted list of times to the last (0 with fewer than two).</summary>
    public static double SustainedRate(IReadOnlyList<DateTimeOffset> sorted)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count < 2 ? 0 : (sorted.Count - 1) / (sorted[^1] - sorted[0]).TotalSeconds;
    }

    /// <summary>The same count over any sorted list of times (e.g. a run's share of them).</summary>
    public static int MaxInAnyWindow(IReadOnlyList<DateTimeOffset> sorted, TimeSpan window) => DensestWindow(sorted, window).Count;

    /// <summary>The counts inside the window that holds the most of them (the first such window), oldest first.</summary>
    public static IReadOnlyList<DateTimeOffset> DensestWindow(IReadOnlyList<DateTimeOffset> sorted, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var (best, bestFirst) = (0, 0);
        for (int first = 0, last = 0; last < sorted.Count; last++)
        {
            while (sorted[last] - sorted[first] >= window)
            {
                first++;
            }

            if (last - first + 1 > best)
            {
                (best, bestFirst) = (last - first + 1, first);
            }
        }

        return sorted.Skip(bestFirst).Take(best).ToArray();
    }

    internal void Record(string appId, CountPoint point, DateTimeOffset at)
    {
        lock (gate)
        {
            if (!times.TryGetValue((appId, point), out var list))
            {
                times[(appId, point)] = list = [];
            }

            list.Add(at);

            // Trimming in batches keeps RemoveRange's copying rare.
            if (retain > 0 && list.Count > retain + (retain / 10))
            {
                list.RemoveRange(0, list.Count - retain);
            }
        }
    }

    internal void Clear()
    {
        lock (gate)
        {
            times.Clear();
        }
    }
}
