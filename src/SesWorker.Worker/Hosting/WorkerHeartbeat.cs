using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Persistence.Workers;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.Hosting;

/// <summary>
/// Keeps this worker's row in <c>workers</c> fresh, so its claims stay its own. Registered before the bus: the first
/// beat is written before any message is consumed, and the row is removed only after the bus has stopped, so what
/// this worker still owned can be taken over at once after a clean stop.
/// </summary>
public sealed partial class WorkerHeartbeat(
    WorkerHeartbeats heartbeats, IOptions<WorkerOptions> options, WorkerIdentity identity, HeartbeatRun run, ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private static readonly TimeSpan PruneAfter = TimeSpan.FromHours(1);
    private readonly string _workerId = identity.Id;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await heartbeats.BeatAsync(_workerId, cancellationToken);
        run.Succeeded();
        await heartbeats.PruneAsync(PruneAfter, cancellationToken);
        Log.Started(logger, _workerId, options.Value.TakeoverAfter);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await heartbeats.BeatAsync(_workerId, stoppingToken);
                run.Succeeded();
            }
            catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException)
            {
                run.Failed();
                // Nothing is sent while the database is away (no slot), so a missed beat costs nothing but a takeover.
                Log.BeatFailed(logger, exception.Message);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await heartbeats.RemoveAsync(_workerId, cancellationToken);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            Log.BeatFailed(logger, exception.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "Worker {WorkerId} is alive; a claim of a worker silent for {TakeoverAfter} is taken over")]
        public static partial void Started(ILogger logger, string workerId, TimeSpan takeoverAfter);

        [LoggerMessage(4002, LogLevel.Warning, "Heartbeat failed: {Reason}")]
        public static partial void BeatFailed(ILogger logger, string reason);
    }
}
