using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// appId A's backlog is published first, then the small appIds' messages; the run lasts until the small ones are done
/// (or --max-seconds), then what is left of A's backlog is purged so the workers can stop.
/// </summary>
internal static class FairnessScenario
{
    public static async Task<(Batch Big, Batch Small, FairnessFigures Figures)> RunAsync(
        BacklogDrain drain, BenchBroker broker, IReadOnlyList<BenchAccount> accounts, string runId, BenchSettings settings, CancellationToken ct)
    {
        var big = await drain.PublishAsync([accounts[0]], $"{runId}-a", settings.Backlog, ct, memory: settings.BigAttachments);
        var small = await drain.PublishAsync(accounts.Skip(1).ToList(), runId, settings.Apps * settings.PerApp, ct);
        small = small with { Completed = await drain.WaitAsync(small, big.Start + drain.Timeout, ct) };
        var end = DateTimeOffset.UtcNow;
        var purged = await broker.PurgeAsync(accounts.Select(a => a.AppId), ct);
        BenchLog.Write($"purged {purged} message(s) of appId A's backlog left in the queues");
        return (big, small, Figures(drain, big, small, settings, end));
    }

    private static FairnessFigures Figures(BacklogDrain drain, Batch big, Batch small, BenchSettings settings, DateTimeOffset end)
    {
        var firstAccepts = FirstAccepts(drain.Ours(small.Tag));
        var latencies = new List<double>();
        var rates = new List<double>();
        var slowestStart = 0.0;
        foreach (var app in small.Messages.Select((m, i) => (m.AppId!, Index: i)).GroupBy(x => x.Item1))
        {
            var published = app.Select(x => small.Published[x.Index]).Min();
            var accepts = app.Select(x => firstAccepts.TryGetValue(small.Messages[x.Index].To![0].Address, out var at) ? at : (DateTimeOffset?)null).ToList();
            latencies.AddRange(app.Select((x, k) => accepts[k] is { } at ? (at - small.Published[x.Index]).TotalMilliseconds : double.PositiveInfinity));
            var times = accepts.OfType<DateTimeOffset>().Order().ToList();
            slowestStart = Math.Max(slowestStart, ((times.Count > 0 ? times[0] : end) - published).TotalSeconds);
            var last = times.Count == app.Count() ? times[^1] : end;
            rates.Add(times.Count < 2 ? 0 : (times.Count - 1) / (last - times[0]).TotalSeconds);
        }

        var sortedLatencies = latencies.Order().ToArray();
        var sortedRates = rates.Order().ToArray();
        var bigTimes = FirstAccepts(drain.Ours(big.Tag)).Values.Order().ToList();
        return new FairnessFigures(
            settings.Apps,
            settings.PerApp,
            firstAccepts.Count,
            new Spread(sortedRates[0], Analysis.Percentile(sortedRates, 0.5), sortedRates[^1]),
            slowestStart,
            Analysis.Percentile(sortedLatencies, 0.5),
            Analysis.Percentile(sortedLatencies, 0.99),
            settings.Backlog,
            bigTimes.Count,
            bigTimes.Count < 2 ? null : (bigTimes.Count - 1) / (bigTimes[^1] - bigTimes[0]).TotalSeconds);
    }

    /// <summary>Each recipient's first accepted transaction: when its email was sent.</summary>
    private static Dictionary<string, DateTimeOffset> FirstAccepts(IEnumerable<SmtpTransaction> transactions) =>
        transactions.Where(t => t.Accepted)
            .GroupBy(t => t.RcptTo[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Min(t => t.At), StringComparer.OrdinalIgnoreCase);
}
