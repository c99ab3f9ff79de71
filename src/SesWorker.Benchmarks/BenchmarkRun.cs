using System.Globalization;
using System.Security.Cryptography;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// One run: the simulator in this process, a fresh database, the naive sender's phase against the same simulator, K
/// worker processes on the bench vhost, a backlog published as plain JSON, then the figures from what the simulator
/// saw and what the workers reported.
/// </summary>
internal sealed class BenchmarkRun(BenchSettings settings, BenchPaths paths)
{
    private readonly string runId = string.Create(
        CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}");

    public string LogDirectory => Path.Combine(paths.ResultsDirectory, runId);

    public async Task<BenchResult> RunAsync(CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        Directory.CreateDirectory(LogDirectory);
        var scratch = Directory.CreateTempSubdirectory("sesworker-bench-");
        try
        {
            // fairness: appId A (the backlog) and the small appIds.
            var accounts = BenchAccounts.Create(settings.Scenario == "fairness" ? settings.Apps + 1 : settings.Apps, Path.Combine(scratch.FullName, "secrets"));
            // The simulator knows the naive sender's accounts; the workers are not given them.
            var naiveAccounts = settings.Naive.Skipped
                ? []
                : BenchAccounts.Create(NaiveSender.AppIds, Path.Combine(scratch.FullName, "naive-secrets"), NaiveSender.FirstAppId, "naive");
            await using var simulator = await SmtpSimulatorServer.StartAsync(
                BenchAccounts.SimulatorOptions([.. accounts, .. naiveAccounts], settings), cancellationToken: ct);
            var certificate = Path.Combine(scratch.FullName, "simulator.pem");
            await File.WriteAllTextAsync(certificate, simulator.ExportCertificatePem(), ct);

            await using var database = await BenchDatabase.CreateAsync(Setting("ConnectionStrings__Postgres"), paths.CliDll, ct);
            BenchLog.Write($"database {database.Name} migrated{(settings.KeepDatabase ? " (kept after the run)" : string.Empty)}");
            if (settings.KeepDatabase)
                database.Keep();

            var amqp = BenchBroker.WithVirtualHost(Setting("ConnectionStrings__RabbitMq"), settings.VirtualHost);
            await using var broker = await BenchBroker.ConnectAsync(amqp, ct);
            await PrepareQueueAsync(broker, accounts.Select(a => a.AppId), ct);

            // Before the workers start, so no worker process (idle or not) shares the machine with it.
            NaiveFigures? naive = null;
            if (!settings.Naive.Skipped)
            {
                BenchLog.Write($"naive sender: a new TLS connection per message, one at a time, {settings.Naive} (reply latency {settings.ApplyLatency(new())})");
                naive = await NaiveSender.RunAsync(simulator, naiveAccounts, runId, settings, database.Name, ct);
                BenchLog.Write(string.Create(CultureInfo.InvariantCulture,
                    $"naive sender: {naive.Accepted} of {naive.Sent} accepted in {naive.Seconds:F1}s, {naive.SendsPerSecond:F1} sends/s"));
            }

            // Fairness: how fast the broker alone moves appId A's backlog as the intake does, before any worker runs.
            var floor = settings.Scenario == "fairness" ? await BrokerFloor.RunAsync(broker, accounts[0], runId, settings, ct) : null;

            var environment = BenchAccounts.WorkerEnvironment(accounts, simulator.Port, certificate, settings);
            environment["ConnectionStrings__Postgres"] = database.ConnectionString;
            environment["ConnectionStrings__RabbitMq"] = amqp.ToString();
            await using var fleet = new WorkerFleet();
            fleet.Start(settings.Workers, WorkerFleet.Snapshot(paths.WorkerDirectory, scratch.FullName), environment, LogDirectory);
            await fleet.WaitUntilConsumingAsync(broker, TimeSpan.FromSeconds(90), ct);
            BenchLog.Write($"{settings.Workers} workers consuming (simulator 127.0.0.1:{simulator.Port}, reply latency {settings.ApplyLatency(new())}, logs {LogDirectory})");

            var drain = new BacklogDrain(simulator, database, broker, fleet, settings.EffectiveTimeout);
            if (settings.Warmup > 0 && !(await drain.RunAsync(accounts, $"{runId}-warmup", settings.Warmup, ct)).Completed)
                throw new BenchmarkException("the warm-up did not complete; see the worker logs");

            fleet.Sample();
            var atStart = fleet.Workers.Select(w => (Cpu: w.CpuMs, Jit: w.JitCpuMs)).ToArray();
            var loadAtStart = MachineLoad.Take(database.Name);
            Batch batch;
            var analysed = (Messages: (IReadOnlyList<SesWorker.Contracts.SendEmail>)[], Published: Array.Empty<DateTimeOffset>());
            FairnessFigures? fairness = null;
            Func<CancellationToken, Task<CrashFigures>>? crashFigures = null;
            switch (settings.Scenario)
            {
                case "fairness":
                    var (big, small, smallFigures) = await FairnessScenario.RunAsync(drain, broker, accounts, runId, settings, ct);
                    (batch, fairness) = (small, smallFigures);
                    analysed = ([.. big.Messages, .. small.Messages], [.. big.Published, .. small.Published]);
                    break;
                case "crash":
                    (batch, crashFigures) = await CrashScenario.RunAsync(drain, database, fleet, accounts, runId, settings, ct);
                    break;
                default:
                    batch = await drain.RunAsync(accounts, runId, settings.Backlog, ct, memory: settings.Scenario == "memory");
                    break;
            }

            if (analysed.Messages.Count == 0)
                analysed = (batch.Messages, batch.Published);
            fleet.Sample();
            var atEnd = fleet.Workers.Select(w => (Cpu: w.CpuMs, Jit: w.JitCpuMs)).ToArray();
            var load = MachineLoad.Between(loadAtStart, MachineLoad.Take(database.Name), atEnd.Sum(e => e.Cpu) - atStart.Sum(s => s.Cpu));
            await fleet.StopSamplingAsync();
            var metrics = await fleet.StopAsync(TimeSpan.FromSeconds(45));
            var crash = crashFigures is null ? null : await crashFigures(ct);

            var figures = Analysis.Simulator(
                analysed.Messages, analysed.Published, simulator.Transactions, app => simulator.MaxTransactionsInAnyWindow(app, TimeSpan.FromSeconds(1)), simulator.Counts);
            await CountsFile.WriteAsync(simulator.Counts, batch.Start, Path.Combine(LogDirectory, "counts.csv"), ct);
            var (outcomes, lastCompletedAt) = await database.OutcomesAsync(runId, ct);
            var workers = fleet.Workers.Select((w, i) => new WorkerResult(
                w.Id,
                metrics[i],
                w.MaxRssMiB,
                metrics[i]?.CpuMs ?? w.CpuMs,
                atEnd[i].Cpu - atStart[i].Cpu,
                atEnd[i].Jit - atStart[i].Jit,
                w.ExitCode ?? -1)).ToList();
            return new BenchResult
            {
                RunId = runId,
                StartedAt = startedAt,
                Machine = MachineInfo.Read(),
                Load = load,
                Settings = settings,
                Completed = batch.Completed,
                Published = batch.Messages.Count,
                PublishSeconds = batch.PublishSeconds,
                Outcomes = outcomes,
                DrainSeconds = lastCompletedAt is { } last ? (last - batch.Start).TotalSeconds : null,
                Simulator = figures,
                Workers = workers,
                Targets = Targets.Check(settings, figures, workers, fairness, crash, naive, batch.Completed),
                Fairness = fairness,
                Crash = crash,
                Naive = naive,
                BrokerFloor = floor,
            };
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static string Setting(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new BenchmarkException($"{name} is not set (eval \"$(infra/services.sh env)\", or run infra/bench.sh)");

    /// <summary>Refuses to share the vhost with a running worker, and drops what an aborted run left queued.</summary>
    private static async Task PrepareQueueAsync(BenchBroker broker, IEnumerable<string> appIds, CancellationToken ct)
    {
        if (await broker.InspectAsync(ct) is { Consumers: > 0 } queue)
            throw new BenchmarkException($"'{BenchBroker.Queue}' already has {queue.Consumers} consumer(s) on this vhost: another benchmark, or workers left over from one");
        var purged = await broker.PurgeAsync(appIds, ct);
        if (purged > 0)
            BenchLog.Write($"purged {purged} message(s) left in '{BenchBroker.Queue}', its lanes and delay queues by an earlier run");
    }
}
