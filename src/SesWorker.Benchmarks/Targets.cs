using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>The targets of DESIGN.md that a scenario measures, each with its verdict.</summary>
internal static class Targets
{
    public const double SustainedRate = 19.5;
    public const double Throughput = 1000;
    public const double CpuMsPerSend = 0.5;

    public const string RateName = "per-appId sustained rate (min)";
    public const string WindowName = "accepted sends in any 1 s window (max)";
    public const string ThrottledName = "throttled replies";
    public const string ThroughputName = "throughput";
    public const string CpuName = "worker CPU per send (during run)";

    public static IReadOnlyList<TargetCheck> Check(BenchSettings settings, SimulatorFigures figures, IReadOnlyList<WorkerResult> workers)
    {
        var checks = new List<TargetCheck>();
        if (settings.LimiterScenario)
        {
            checks.Add(new TargetCheck(
                RateName, Format($"{figures.SustainedRate.Min:F2}/s"), Format($">= {SustainedRate}/s"), figures.SustainedRate.Min >= SustainedRate));
        }

        checks.Add(new TargetCheck(
            WindowName, Format($"{figures.MaxInAnySecond}"), Format($"<= {Analysis.ProviderRate}"), figures.MaxInAnySecond <= Analysis.ProviderRate));
        checks.Add(new TargetCheck(ThrottledName, Format($"{figures.Throttled}"), "0", figures.Throttled == 0));
        if (!settings.LimiterScenario)
        {
            var cpu = CpuPerSendDuringRun(figures, workers);
            checks.Add(new TargetCheck(
                ThroughputName, Format($"{figures.ThroughputPerSecond:F0}/s"), Format($">= {Throughput:F0}/s"), figures.ThroughputPerSecond >= Throughput));
            checks.Add(new TargetCheck(
                CpuName, Format($"{cpu:F3} ms"), Format($"<= {CpuMsPerSend} ms"), cpu <= CpuMsPerSend));
        }

        return checks;
    }

    public static double CpuPerSendDuringRun(SimulatorFigures figures, IReadOnlyList<WorkerResult> workers) =>
        figures.Accepted == 0 ? double.NaN : workers.Sum(w => w.CpuMsDuringRun) / figures.Accepted;

    public static double CpuPerSendTotal(SimulatorFigures figures, IReadOnlyList<WorkerResult> workers) =>
        figures.Accepted == 0 ? double.NaN : workers.Sum(w => w.CpuMsTotal) / figures.Accepted;

    private static string Format(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
