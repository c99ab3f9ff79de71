using System.Globalization;
using System.Text.RegularExpressions;

namespace SesWorker.Benchmarks;

/// <summary>
/// The line each worker logs at shutdown (MetricsSummary in the worker):
/// <c>sesworker-metrics late_sends=.. excused=.. acquires=.. acquire_p50_ms=.. acquire_p99_ms=.. wait_p50_ms=.. wait_p99_ms=.. cpu_ms=..</c>.
/// </summary>
internal sealed partial record WorkerMetrics(
    long LateSends, long Excused, long Acquires, double AcquireP50Ms, double AcquireP99Ms, double WaitP50Ms, double WaitP99Ms, double CpuMs)
{
    public const string Marker = "sesworker-metrics";

    public static WorkerMetrics? Parse(string line)
    {
        var values = Pair().Matches(line[line.IndexOf(Marker, StringComparison.Ordinal)..])
            .ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        double Get(string key) => values.TryGetValue(key, out var value) ? value : double.NaN;
        return values.Count == 0 ? null : new WorkerMetrics(
            (long)Get("late_sends"), values.TryGetValue("excused", out var excused) ? (long)excused : 0, (long)Get("acquires"), Get("acquire_p50_ms"), Get("acquire_p99_ms"), Get("wait_p50_ms"), Get("wait_p99_ms"), Get("cpu_ms"));
    }

    [GeneratedRegex(@"(\w+)=(-?[0-9]+(?:\.[0-9]+)?)")]
    private static partial Regex Pair();
}
