using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SesWorker.Contracts;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// One run: the simulator in this process, a fresh database, K worker processes on the bench vhost, a backlog
/// published as plain JSON, then the figures from what the simulator saw and what the workers reported.
/// </summary>
internal sealed class BenchmarkRun(BenchSettings settings, BenchPaths paths)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    private readonly string runId = string.Create(
        CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{RandomNumberGenerator.GetHexString(4, lowercase: true)}");

    public string RunId => runId;

    public string LogDirectory => Path.Combine(paths.ResultsDirectory, runId);

    public async Task<BenchResult> RunAsync(CancellationToken ct)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Read();
        Directory.CreateDirectory(LogDirectory);
        var scratch = Directory.CreateTempSubdirectory("sesworker-bench-");
        try
        {
            var accounts = BenchAccounts.Create(settings.Apps, Path.Combine(scratch.FullName, "secrets"));
            await using var simulator = await SmtpSimulatorServer.StartAsync(BenchAccounts.SimulatorOptions(accounts, settings), cancellationToken: ct);
            var certificate = Path.Combine(scratch.FullName, "simulator.pem");
            await File.WriteAllTextAsync(certificate, simulator.ExportCertificatePem(), ct);

            await using var database = await BenchDatabase.CreateAsync(Setting("ConnectionStrings__Postgres"), paths.CliDll, ct);
            Log($"database {database.Name} migrated{(settings.KeepDatabase ? " (kept after the run)" : string.Empty)}");
            if (settings.KeepDatabase)
                database.Keep();

            var amqp = BenchBroker.WithVirtualHost(Setting("ConnectionStrings__RabbitMq"), settings.VirtualHost);
            await using var broker = await BenchBroker.ConnectAsync(amqp, ct);
            await PrepareQueueAsync(broker, ct);

            var environment = BenchAccounts.WorkerEnvironment(accounts, simulator.Port, certificate, settings);
            environment["ConnectionStrings__Postgres"] = database.ConnectionString;
            environment["ConnectionStrings__RabbitMq"] = amqp.ToString();
            await using var fleet = new WorkerFleet();
            fleet.Start(settings.Workers, WorkerFleet.Snapshot(paths.WorkerDirectory, scratch.FullName), environment, LogDirectory);
            await fleet.WaitUntilConsumingAsync(broker, TimeSpan.FromSeconds(90), ct);
            Log($"{settings.Workers} workers consuming (simulator 127.0.0.1:{simulator.Port}, logs {LogDirectory})");

            fleet.Sample();
            var cpuAtStart = fleet.Workers.Select(w => w.CpuMs).ToArray();
            var loadAtStart = MachineLoad.Take(database.Name);
            var messages = BenchMessages.Create(accounts, settings.Backlog, runId);
            var published = new DateTimeOffset[messages.Count];
            var publishing = Stopwatch.StartNew();
            await broker.PublishAsync(messages, published, ct);
            var publishSeconds = publishing.Elapsed.TotalSeconds;
            Log(string.Create(CultureInfo.InvariantCulture, $"published {messages.Count} in {publishSeconds:F2}s"));

            var completed = await WaitForOutcomesAsync(database, simulator, fleet, messages, published[0], ct);
            fleet.Sample();
            var cpuAtEnd = fleet.Workers.Select(w => w.CpuMs).ToArray();
            var load = MachineLoad.Between(loadAtStart, MachineLoad.Take(database.Name), cpuAtEnd.Sum() - cpuAtStart.Sum());
            await fleet.StopSamplingAsync();
            var metrics = await fleet.StopAsync(TimeSpan.FromSeconds(45));

            var figures = Analysis.Simulator(messages, published, simulator.Transactions, app => simulator.MaxTransactionsInAnyWindow(app, TimeSpan.FromSeconds(1)));
            var (outcomes, lastCompletedAt) = await database.OutcomesAsync(runId, ct);
            var workers = fleet.Workers.Select((w, i) => new WorkerResult(
                w.Id, metrics[i], w.MaxRssMiB, metrics[i]?.CpuMs ?? w.CpuMs, cpuAtEnd[i] - cpuAtStart[i], w.ExitCode ?? -1)).ToList();
            return new BenchResult
            {
                RunId = runId,
                StartedAt = startedAt,
                Machine = machine,
                Load = load,
                Settings = settings,
                Completed = completed,
                Published = messages.Count,
                PublishSeconds = publishSeconds,
                Outcomes = outcomes,
                DrainSeconds = lastCompletedAt is { } last ? (last - published[0]).TotalSeconds : null,
                Simulator = figures,
                Workers = workers,
                Targets = Targets.Check(settings, figures, workers),
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

    private static void Log(string message) => Console.Error.WriteLine($"[bench] {message}");

    /// <summary>Refuses to share the vhost with a running worker, and drops what an aborted run left queued.</summary>
    private static async Task PrepareQueueAsync(BenchBroker broker, CancellationToken ct)
    {
        if (await broker.InspectAsync(ct) is { Consumers: > 0 } queue)
            throw new BenchmarkException($"'{BenchBroker.Queue}' already has {queue.Consumers} consumer(s) on this vhost: another benchmark, or workers left over from one");
        var purged = await broker.PurgeAsync(ct);
        if (purged > 0)
            Log($"purged {purged} message(s) left in '{BenchBroker.Queue}' by an earlier run");
    }

    /// <summary>Until every message has a terminal row in PostgreSQL; false on timeout.</summary>
    private async Task<bool> WaitForOutcomesAsync(
        BenchDatabase database, SmtpSimulatorServer simulator, WorkerFleet fleet, IReadOnlyList<SendEmail> messages, DateTimeOffset start, CancellationToken ct)
    {
        var domain = "@" + BenchMessages.RecipientDomain(runId);
        var deadline = start + settings.EffectiveTimeout;
        var nextProgress = DateTimeOffset.UtcNow + ProgressInterval;
        while (true)
        {
            fleet.EnsureRunning();
            var (_, terminal) = await database.CountAsync(runId, ct);
            var now = DateTimeOffset.UtcNow;
            if (terminal >= messages.Count)
                return true;
            if (now >= deadline || now >= nextProgress)
            {
                var ours = simulator.Transactions.Where(t => t.RcptTo.Count > 0 && t.RcptTo[0].EndsWith(domain, StringComparison.OrdinalIgnoreCase)).ToList();
                Log(string.Create(CultureInfo.InvariantCulture,
                    $"{(now - start).TotalSeconds:F0}s: simulator accepted {ours.Count(t => t.Accepted)}, refused {ours.Count(t => !t.Accepted)}; outcomes {terminal}/{messages.Count}"));
                nextProgress = now + ProgressInterval;
            }

            if (now >= deadline)
            {
                Log($"timed out after {settings.EffectiveTimeout.TotalSeconds:F0}s (--timeout)");
                return false;
            }

            await Task.Delay(250, ct);
        }
    }
}
