using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>The project's targets (README, "Where it stands") that a scenario measures, each with its verdict.</summary>
internal static class Targets
{
    public const double SustainedRate = 19.5;
    public const double Throughput = 1000;
    public const double CpuMsPerSend = 0.5;
    public const double NaiveMultiple = 5;

    public const string RateName = "per-appId sustained rate (min)";
    public const string WindowName = "accepted sends in any 1 s window (max)";
    public const string ThrottledName = "throttled replies";
    public const string ThroughputName = "throughput";
    public const string CpuName = "worker CPU per send (during run)";
    public const string NaiveName = "throughput / naive sender's sends/s";
    public const string MailFromWindowName = "MAIL FROMs in any 1 s window (max)";
    public const string EndOfDataWindowName = "ends of DATA in any 1 s window (max)";
    public const string SmallRateName = "small appIds: rate from first accept (min)";
    public const string SmallLatencyName = "small appIds: publish-to-accept p99";
    public const string PauseName = "crash: longest pause in accepted sends";
    public const string TakeoverName = "crash: dead worker's emails finished after";
    public const string DuplicatesName = "crash: duplicates beyond unknown";
    public const string DoneName = "every email has a terminal row";
    public const string MemoryName = "memory: peak worker RSS (max)";
    public const string AllSentName = "memory: accepted by the simulator";

    /// <summary>
    /// Large attachments at full concurrency (the 256 MiB memory target): a 512 MiB container keeps half its room.
    /// </summary>
    public const double MemoryRssMiB = 256;

    /// <summary>Small messages only (the 200 MiB memory target), the memory scenario's worker and appIds.</summary>
    public const double MemorySmallRssMiB = 200;

    public const double SmallRate = 19;
    public const double SmallP99Ms = 3000;
    public const double PauseSeconds = 5;
    public const double TakeoverSeconds = 15;

    public static IReadOnlyList<TargetCheck> Check(
        BenchSettings settings,
        SimulatorFigures figures,
        IReadOnlyList<WorkerResult> workers,
        FairnessFigures? fairness,
        CrashFigures? crash,
        NaiveFigures? naive,
        bool completed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(figures);
        var checks = new List<TargetCheck>();
        if (settings.LimiterScenario)
        {
            checks.Add(new TargetCheck(
                RateName, Format($"{figures.SustainedRate.Min:F2}/s"), Format($">= {SustainedRate}/s"), figures.SustainedRate.Min >= SustainedRate));
        }

        checks.Add(new TargetCheck(
            WindowName, Format($"{figures.MaxInAnySecond}"), Format($"<= {Analysis.ProviderRate}"), figures.MaxInAnySecond <= Analysis.ProviderRate));
        checks.Add(new TargetCheck(
            MailFromWindowName, Format($"{figures.MaxInAnySecondAtMailFrom}"), Format($"<= {Analysis.ProviderRate}"), figures.MaxInAnySecondAtMailFrom <= Analysis.ProviderRate));
        checks.Add(new TargetCheck(
            EndOfDataWindowName, Format($"{figures.MaxInAnySecondAtEndOfData}"), Format($"<= {Analysis.ProviderRate}"), figures.MaxInAnySecondAtEndOfData <= Analysis.ProviderRate));
        checks.Add(new TargetCheck(ThrottledName, Format($"{figures.Throttled}"), "0", figures.Throttled == 0));
        checks.Add(new TargetCheck(DoneName, completed ? "yes" : "no (--max-seconds)", "yes", completed));
        if (fairness is not null)
        {
            checks.Add(new TargetCheck(
                SmallRateName, Format($"{fairness.SmallRate.Min:F2}/s"), Format($">= {SmallRate}/s"), fairness.SmallRate.Min >= SmallRate));
            checks.Add(new TargetCheck(
                SmallLatencyName, Format($"{fairness.SmallP99Ms / 1000:F2} s"), Format($"<= {SmallP99Ms / 1000} s"), fairness.SmallP99Ms <= SmallP99Ms));
        }

        if (crash is not null)
        {
            checks.Add(new TargetCheck(
                PauseName, Format($"{crash.LongestPauseSeconds:F1} s"), Format($"<= {PauseSeconds} s"), crash.LongestPauseSeconds <= PauseSeconds));
            checks.Add(new TargetCheck(
                TakeoverName,
                crash.TakeoverSeconds is { } takeover ? Format($"{takeover:F1} s") : Format($"not finished ({crash.HeldNotFinished} left)"),
                Format($"<= {TakeoverSeconds} s"),
                crash.TakeoverSeconds <= TakeoverSeconds));
            checks.Add(new TargetCheck(DuplicatesName, Format($"{crash.DuplicatesBeyondUnknown}"), "0", crash.DuplicatesBeyondUnknown == 0));
        }

        if (settings.Scenario == "throughput")
        {
            var cpu = CpuPerSendDuringRun(figures, workers);
            checks.Add(new TargetCheck(
                ThroughputName, Format($"{figures.ThroughputPerSecond:F0}/s"), Format($">= {Throughput:F0}/s"), figures.ThroughputPerSecond >= Throughput));
            checks.Add(new TargetCheck(
                CpuName, Format($"{cpu:F3} ms"), Format($"<= {CpuMsPerSend} ms"), cpu <= CpuMsPerSend));
            if (naive is not null)
            {
                // No accepted naive send leaves no baseline: missed rather than passed.
                var multiple = naive.SendsPerSecond > 0 ? figures.ThroughputPerSecond / naive.SendsPerSecond : double.NaN;
                checks.Add(new TargetCheck(
                    NaiveName, double.IsNaN(multiple) ? "n/a" : Format($"{multiple:F1}x"), Format($">= {NaiveMultiple}x"), multiple >= NaiveMultiple));
            }
        }

        if (settings.MemoryScenario)
        {
            var rss = workers.Max(w => w.MaxRssMiB);
            var bound = settings.Scenario == "memory" ? MemoryRssMiB : MemorySmallRssMiB;
            checks.Add(new TargetCheck(MemoryName, Format($"{rss:F0} MiB"), Format($"<= {bound} MiB"), rss <= bound));
            checks.Add(new TargetCheck(AllSentName, Format($"{figures.Accepted}"), Format($"{settings.Backlog}"), figures.Accepted >= settings.Backlog));
        }

        return checks;
    }

    public static double CpuPerSendDuringRun(SimulatorFigures figures, IReadOnlyList<WorkerResult> workers) =>
        figures.Accepted == 0 ? double.NaN : workers.Sum(w => w.CpuMsDuringRun) / figures.Accepted;

    public static double CpuPerSendTotal(SimulatorFigures figures, IReadOnlyList<WorkerResult> workers) =>
        figures.Accepted == 0 ? double.NaN : workers.Sum(w => w.CpuMsTotal) / figures.Accepted;

    private static string Format(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
