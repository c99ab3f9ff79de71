using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SesWorker.Worker.Limiting;

/// <summary>Logs one line at shutdown with the limiter latencies and this process's CPU time, for operators and the benchmark.</summary>
public sealed partial class MetricsSummary(SendMetrics metrics, Memory.ByteBudget budget, Sending.SendGate gate, ILogger<MetricsSummary> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        var acquire = metrics.AcquireLatency();
        var wait = metrics.WaitLatency();
        Log.Summary(logger, metrics.LateSends, metrics.Excuses, acquire.Count, acquire.P50, acquire.P99, wait.P50, wait.P99, Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
            budget.HighWater, budget.Capacity, gate.Capacity, gate.HighWater);
        return Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(3100, LogLevel.Information,
            "sesworker-metrics late_sends={LateSends} excused={Excused} acquires={Acquires} acquire_p50_ms={AcquireP50:F3} acquire_p99_ms={AcquireP99:F3} wait_p50_ms={WaitP50:F1} wait_p99_ms={WaitP99:F1} cpu_ms={CpuMs:F0} inflight_high_water_bytes={InFlightHighWater} inflight_limit_bytes={InFlightLimit} turns={Turns} turns_high_water={TurnsHighWater}")]
        public static partial void Summary(ILogger logger, long lateSends, long excused, int acquires, double acquireP50, double acquireP99, double waitP50, double waitP99, double cpuMs,
            long inFlightHighWater, long inFlightLimit, int turns, int turnsHighWater);
    }
}
