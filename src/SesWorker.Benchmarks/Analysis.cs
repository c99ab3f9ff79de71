using SesWorker.Contracts;
using SesWorker.SmtpSimulator;
using SesWorker.SmtpSimulator.Counting;

namespace SesWorker.Benchmarks;

/// <summary>Turns the simulator's transactions into the figures: it is the referee, so rates and windows come from it.</summary>
internal static class Analysis
{
    public const string ThrottledCode = "RequestLimitExceeded.SmtpRateLimit";

    /// <summary>
    /// The provider's limit per appId in any one second (the SES SMTP guide and FAQ); the simulator enforces the same.
    /// </summary>
    public const int ProviderRate = 20;

    public static SimulatorFigures Simulator(
        IReadOnlyList<SendEmail> messages,
        DateTimeOffset[] published,
        IReadOnlyList<SmtpTransaction> transactions,
        Func<string, int> maxInAnySecond,
        ProviderCounts counts)
    {
        var index = new Dictionary<string, int>(messages.Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < messages.Count; i++)
            index[messages[i].To![0].Address] = i;
        var ours = transactions.Where(t => t.RcptTo.Count > 0 && index.ContainsKey(t.RcptTo[0])).ToList();
        var accepted = ours.Where(t => t.Accepted).OrderBy(t => t.At).ToList();
        var firstAccepts = accepted.GroupBy(t => t.RcptTo[0], StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
        var refusals = ours.Where(t => !t.Accepted).ToList();

        var perApp = accepted.GroupBy(t => t.AppId!).Select(g => g.Select(t => t.At).ToArray()).ToList();
        var latencies = firstAccepts.Select(t => (t.At - published[index[t.RcptTo[0]]]).TotalMilliseconds).Order().ToArray();
        var appIds = messages.Select(m => m.AppId!).Distinct().ToList();
        var start = published.Length > 0 ? published.Min() : DateTimeOffset.UtcNow;

        return new SimulatorFigures
        {
            Accepted = accepted.Count,
            Duplicates = accepted.Count - firstAccepts.Count,
            Throttled = refusals.Count(t => t.ErrorCode == ThrottledCode),
            Connections = ours.Select(t => t.ConnectionId).Distinct(StringComparer.Ordinal).Count(),
            OtherRefusals = refusals.Where(t => t.ErrorCode != ThrottledCode)
                .GroupBy(t => t.ErrorCode ?? $"{t.ReplyCode} {t.ReplyText}")
                .ToDictionary(g => g.Key, g => g.Count()),
            SustainedRate = SpreadOf(perApp.Select(times => Rate(times, skip: times.Length / 10))),
            FullSpanRate = SpreadOf(perApp.Select(times => Rate(times, skip: 0))),
            MaxInAnySecond = appIds.Count == 0 ? 0 : appIds.Max(maxInAnySecond),
            MaxInAnySecondAtMailFrom = appIds.Count == 0 ? 0 : appIds.Max(app => counts.MaxInAnySecond(app, CountPoint.MailFrom, since: start)),
            MaxInAnySecondAtEndOfData = appIds.Count == 0 ? 0 : appIds.Max(app => counts.MaxInAnySecond(app, CountPoint.EndOfData, since: start)),
            TightestMailFromMs = Tightest(appIds, app => counts.TightestSpan(app, CountPoint.MailFrom, ProviderRate + 1, since: start)),
            TightestEndOfDataMs = Tightest(appIds, app => counts.TightestSpan(app, CountPoint.EndOfData, ProviderRate + 1, since: start)),
            Violations = appIds.Where(app => maxInAnySecond(app) > ProviderRate)
                .Select(app => Densest(app, accepted.Where(t => t.AppId == app).ToList(), start))
                .ToList(),
            ThroughputPerSecond = accepted.Count == 0 ? 0 : accepted.Count / (accepted[^1].At - start).TotalSeconds,
            AcceptSpanPerSecond = Rate(accepted.Select(t => t.At).ToArray(), skip: 0) ?? 0,
            EndToEndP50Ms = Percentile(latencies, 0.50),
            EndToEndP99Ms = Percentile(latencies, 0.99),
        };
    }

    private static double? Tightest(IEnumerable<string> appIds, Func<string, TimeSpan?> span) =>
        appIds.Select(span).OfType<TimeSpan>().Select(t => (double?)t.TotalMilliseconds).Min();

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double? Rate(DateTimeOffset[] sortedTimes, int skip)
    {
        var count = sortedTimes.Length - skip;
        if (count < 2)
            return null;
        var span = (sortedTimes[^1] - sortedTimes[skip]).TotalSeconds;
        return span > 0 ? (count - 1) / span : null;
    }

    private static Spread SpreadOf(IEnumerable<double?> rates)
    {
        var sorted = rates.OfType<double>().Order().ToArray();
        return sorted.Length == 0
            ? new Spread(double.NaN, double.NaN, double.NaN)
            : new Spread(sorted[0], Percentile(sorted, 0.5), sorted[^1]);
    }

    /// <summary>The densest one-second window (half-open, as the simulator counts) of one appId's accepted sends.</summary>
    private static WindowDetail Densest(string appId, List<SmtpTransaction> sorted, DateTimeOffset runStart)
    {
        var (bestFirst, bestCount) = (0, 0);
        for (int first = 0, last = 0; last < sorted.Count; last++)
        {
            while (sorted[last].At - sorted[first].At >= TimeSpan.FromSeconds(1))
                first++;
            if (last - first + 1 > bestCount)
                (bestFirst, bestCount) = (first, last - first + 1);
        }

        var window = sorted.Skip(bestFirst).Take(bestCount).ToList();
        var origin = window[0].At;
        return new WindowDetail(
            appId,
            bestCount,
            (origin - runStart).TotalSeconds,
            window.Select(t => Math.Round((t.At - origin).TotalMilliseconds, 1)).ToList(),
            window.Select(t => t.ConnectionId).Distinct().ToList());
    }
}
