using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>The compact human table; the JSON file has the same figures and more.</summary>
internal static class ReportPrinter
{
    public static void Print(BenchResult result, TextWriter output)
    {
        PrintHeader(result, output);
        output.WriteLine();
        PrintFigures(result, output);
        if (result.Naive is { } naive)
        {
            output.WriteLine();
            PrintNaive(naive, output);
        }

        if (result.Fairness is { } fairness)
        {
            output.WriteLine();
            PrintFairness(fairness, result.BrokerFloor, output);
        }

        if (result.Crash is { } crash)
        {
            output.WriteLine();
            PrintCrash(crash, output);
        }

        output.WriteLine();
        PrintWorkers(result.Workers, output);
    }

    private static void PrintHeader(BenchResult result, TextWriter output)
    {
        var s = result.Settings;
        var outcomes = string.Join(", ", result.Outcomes.Select(o => o.FailureCode is null ? $"{o.Status} {o.Count}" : $"{o.Status}/{o.FailureCode} {o.Count}"));

        Line(output, $"SesWorker benchmark: {s.Scenario}, run {result.RunId}{(result.Completed ? string.Empty : "  ** INCOMPLETE (timed out) **")}");
        Line(output, $"machine   {result.Machine}");
        var load = result.Load;
        Line(output, $"load      CPU {load.BusyPercent:F0}% busy (of {result.Machine.Cores} cores) while draining: workers {load.WorkersPercent:F0}%, "
            + $"PostgreSQL (this database) {load.PostgresPercent:F0}%, RabbitMQ (whole broker) {load.RabbitMqPercent:F0}%, this process (simulator, publisher) "
            + $"{load.BenchProcessPercent:F0}%, everything else (other processes, kernel) {load.OthersPercent:F0}%; 1-min load average {load.LoadAverageAtStart:F1} -> {load.LoadAverageAtEnd:F1}");
        var shape = s.Scenario == "fairness"
            ? $"appId A with {s.Backlog} messages{(s.BigAttachments ? " with the memory scenario's attachments" : "")}, then {s.Apps} small appIds x {s.PerApp}"
            : $"{s.Apps} appIds, {s.Backlog} messages (~{Math.Ceiling((double)s.Backlog / s.Apps):F0} per appId, interleaved)";
        Line(output, $"setup     {shape}, {s.Workers} worker processes, "
            + $"concurrency {(s.Concurrency?.ToString(CultureInfo.InvariantCulture) ?? "default")}, recipient cap {(s.RecipientCap ? "on" : "off")}, "
            + $"simulator {(s.SimulatorRate == 0 ? "rate rule off" : $"{s.SimulatorRate}/s per appId")}, "
            + $"reply latency {s.ApplyLatency(new())}, "
            + (s.Warmup > 0 ? $"measured after a warm-up of {s.Warmup} messages" : "measured from a cold start")
            + string.Concat(s.WorkerEnvironment.Select(e => $", {e.Key}={e.Value}")));
        Line(output, $"run       published in {result.PublishSeconds:F2} s; outcomes: {outcomes}; last outcome {Seconds(result.DrainSeconds)} after the first publish");
    }

    private static void PrintFigures(BenchResult result, TextWriter output)
    {
        var sim = result.Simulator;
        var workers = result.Workers;
        var metrics = workers.Select(w => w.Metrics).OfType<WorkerMetrics>().ToList();
        var rows = new List<(string Figure, string Value, string? Target)>
        {
            ("per-appId sustained rate min / median / max", $"{sim.SustainedRate.Min:F2} / {sim.SustainedRate.Median:F2} / {sim.SustainedRate.Max:F2} /s", Targets.RateName),
            ("  same, over all sends (first 10% included)", $"{sim.FullSpanRate.Min:F2} / {sim.FullSpanRate.Median:F2} / {sim.FullSpanRate.Max:F2} /s", null),
            ("max accepted in any 1 s window (over appIds)", $"{sim.MaxInAnySecond}", Targets.WindowName),
            ("  at MAIL FROM (answered 250)", $"{sim.MaxInAnySecondAtMailFrom}", Targets.MailFromWindowName),
            ("  at the end of DATA (refused ones too)", $"{sim.MaxInAnySecondAtEndOfData}", Targets.EndOfDataWindowName),
            ("  tightest 21 counted, MAIL FROM / end of DATA", $"{Ms(sim.TightestMailFromMs)} / {Ms(sim.TightestEndOfDataMs)} (over 1000 ms is within the rule)", null),
            ("RequestLimitExceeded.SmtpRateLimit replies", $"{sim.Throttled}", Targets.ThrottledName),
            ("other refusals", sim.OtherRefusals.Count == 0 ? "none" : string.Join(", ", sim.OtherRefusals.Select(r => $"{r.Key} x{r.Value}")), null),
            ("accepted / duplicates / SMTP connections used", $"{sim.Accepted} / {sim.Duplicates} / {sim.Connections}", null),
            ("throughput (first publish to last accept)", $"{sim.ThroughputPerSecond:F0} sends/s (first to last accept: {sim.AcceptSpanPerSecond:F0}/s)", Targets.ThroughputName),
            ("  as a multiple of the naive sender's sends/s",
                result.Naive is not { } naive ? "skipped (--naive 0)"
                : result.NaiveRatio is { } ratio ? $"{ratio:F1}x ({sim.ThroughputPerSecond:F0} / {naive.SendsPerSecond:F1})"
                : "n/a (the naive sender had nothing accepted)",
                Targets.NaiveName),
            ("limiter acquire p50 / p99 (lifetime, max of workers)", $"{Max(metrics, m => m.AcquireP50Ms):F3} / {Max(metrics, m => m.AcquireP99Ms):F3} ms", null),
            ("limiter wait p50 / p99 (lifetime, max of workers)", $"{Max(metrics, m => m.WaitP50Ms):F1} / {Max(metrics, m => m.WaitP99Ms):F1} ms", null),
            ("late sends: fresh slot / later slots moved back", $"{metrics.Sum(m => m.LateSends)} / {metrics.Sum(m => m.Excused)}", null),
            ("worker CPU per send: during run / whole life", $"{Targets.CpuPerSendDuringRun(sim, workers):F3} / {Targets.CpuPerSendTotal(sim, workers):F3} ms", Targets.CpuName),
            ("  of which the JIT's tiering thread (at least)", $"{workers.Sum(w => w.JitThreadCpuMsDuringRun) / Math.Max(1, sim.Accepted):F3} ms", null),
            ("max worker RSS", $"{workers.Max(w => w.MaxRssMiB):F1} MiB", Targets.MemoryName),
            ("end-to-end latency p50 / p99 (publish to accept)", $"{sim.EndToEndP50Ms:F0} / {sim.EndToEndP99Ms:F0} ms", null),
        };
        Line(output, $"{"figure",-54} {"value",-44} target");
        foreach (var (figure, value, target) in rows)
        {
            var check = result.Targets.FirstOrDefault(t => t.Name == target);
            Line(output, $"{figure,-54} {value,-44} {(check is null ? string.Empty : $"{check.Target,-10} {(check.Met ? "ok" : "MISSED")}")}".TrimEnd());
        }

        foreach (var window in sim.Violations)
        {
            Line(output, $"  appId {window.AppId}: {window.Count} accepted in the 1 s window from {window.StartSeconds:F3} s (after the first publish); "
                + $"offsets ms: {string.Join(' ', window.OffsetsMs.Select(o => o.ToString("F1", CultureInfo.InvariantCulture)))}; connections {string.Join(',', window.Connections)}");
        }

    }

    private static void PrintNaive(NaiveFigures n, TextWriter output)
    {
        Line(output, $"naive sender (before the workers): a new TLS connection per message, one at a time; {n.Budget}; reply latency {n.ReplyLatency}");
        Line(output, $"  {n.Accepted} of {n.Sent} accepted in {n.Seconds:F2} s: {n.SendsPerSecond:F1} sends/s; one message (compose, connect, AUTH, send, QUIT) "
            + $"p50 / p99 {n.MessageP50Ms:F1} / {n.MessageP99Ms:F1} ms; {n.Connections} SMTP connections");
        Line(output, $"  {n.AppIds} appIds of its own: most accepted in any 1 s per appId {n.MaxInAnySecondPerAppId}; throttled {n.Throttled}; other refusals "
            + (n.OtherRefusals.Count == 0 ? "none" : string.Join(", ", n.OtherRefusals.Select(r => $"{r.Key} x{r.Value}"))));
        Line(output, $"  load: CPU {n.Load.BusyPercent:F0}% busy (of all cores), this process (naive sender and simulator) {n.Load.BenchProcessPercent:F0}%, "
            + $"other processes and the kernel {n.Load.BusyPercent - n.Load.BenchProcessPercent:F0}%; 1-min load average {n.Load.LoadAverageAtStart:F1} -> {n.Load.LoadAverageAtEnd:F1}");
    }

    private static void PrintFairness(FairnessFigures f, BrokerFloorFigures? floor, TextWriter output)
    {
        Line(output, $"fairness: {f.SmallAppIds} small appIds x {f.PerApp}, published after appId A's {f.BigBacklog}");
        if (floor is not null)
            Line(output, $"  the broker alone (before the workers): {floor.Messages} bodies of {floor.BodyBytes} bytes moved between two quorum queues as the intake moves them, "
                + $"{floor.Prefetch} in flight, in {floor.Seconds:F2} s ({floor.PerSecond:F0}/s; publish and ack p50 / p99 {floor.CycleP50Ms:F1} / {floor.CycleP99Ms:F1} ms)");
        Line(output, $"  small appIds: {f.SmallAccepted} of {f.SmallAppIds * f.PerApp} accepted; rate from first accept min / median / max "
            + $"{f.SmallRate.Min:F2} / {f.SmallRate.Median:F2} / {f.SmallRate.Max:F2} /s; slowest first accept {f.SlowestFirstAcceptSeconds:F2} s after its first publish");
        Line(output, $"  small appIds: publish-to-accept p50 / p99 {Millis(f.SmallP50Ms)} / {Millis(f.SmallP99Ms)}");
        Line(output, $"  appId A meanwhile: {f.BigAccepted} accepted, {(f.BigRate is { } rate ? $"{rate:F2}/s" : "n/a")}; the rest was purged");
    }

    private static void PrintCrash(CrashFigures c, TextWriter output)
    {
        Line(output, $"crash: {c.KilledWorker} killed (SIGKILL) {c.KilledAtSeconds:F1} s after the first publish, after {c.AcceptedBeforeKill} accepted sends; "
            + $"it held {c.HeldAtKill} unfinished email(s){(c.HeldAtKill == 0 ? string.Empty : $" ({string.Join(", ", c.HeldByStatus.Select(h => $"{h.Key} {h.Value}"))})")}");
        Line(output, $"  longest pause in accepted sends: {c.LongestPauseSeconds:F1} s (from {c.LongestPauseFromKillSeconds:F1} s after the kill); "
            + $"first accept after the kill {Seconds(c.FirstAcceptAfterKillSeconds)}");
        Line(output, $"  the dead worker's emails all finished {(c.TakeoverSeconds is { } t ? $"{t:F1} s after the kill" : $"-: {c.HeldNotFinished} not finished when the workers stopped")}");
        Line(output, $"  duplicates (accepted more than once): {c.Duplicates}, of which recorded unknown {c.DuplicatesRecordedUnknown}, beyond unknown {c.DuplicatesBeyondUnknown}");
    }

    private static string Ms(double? value) => value is { } ms ? Millis(ms) : "-";

    private static string Millis(double value) => double.IsPositiveInfinity(value) ? "not all sent" : $"{value:F0} ms";

    private static void PrintWorkers(IReadOnlyList<WorkerResult> workers, TextWriter output)
    {
        Line(output, $"{"worker",-9} {"acquires",9} {"late",5} {"acquire p50/p99 ms",19} {"wait p50/p99 ms",16} {"cpu ms life/run",16} {"jit ms run",11} {"max RSS MiB",12} exit");
        foreach (var w in workers)
        {
            var m = w.Metrics;
            Line(output, $"{w.Id,-9} {m?.Acquires.ToString(CultureInfo.InvariantCulture) ?? "-",9} {m?.LateSends.ToString(CultureInfo.InvariantCulture) ?? "-",5} "
                + $"{(m is null ? "no metrics line" : $"{m.AcquireP50Ms:F3}/{m.AcquireP99Ms:F3}"),19} {(m is null ? "-" : $"{m.WaitP50Ms:F1}/{m.WaitP99Ms:F1}"),16} "
                + $"{$"{w.CpuMsTotal:F0}/{w.CpuMsDuringRun:F0}",16} {w.JitThreadCpuMsDuringRun,11:F0} {w.MaxRssMiB,12:F1} {w.ExitCode}");
        }
    }

    private static double Max(List<WorkerMetrics> metrics, Func<WorkerMetrics, double> figure) =>
        metrics.Count == 0 ? double.NaN : metrics.Max(figure);

    private static string Seconds(double? value) =>
        value is { } seconds ? seconds.ToString("F2", CultureInfo.InvariantCulture) + " s" : "n/a";

    // InvariantGlobalization (Directory.Build.props) makes every interpolation culture-invariant.
    private static void Line(TextWriter output, string line) => output.WriteLine(line);
}
