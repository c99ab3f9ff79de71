using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Memory;
using SesWorker.Worker.Smtp;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Gauges read when scraped, on the worker's meter, so they cost nothing on the send path. A hosted service only so
/// that the host creates it at start.
/// </summary>
internal sealed class WorkerGauges : IHostedService
{
    public WorkerGauges(IMeterFactory meterFactory, SmtpConnectionPool pool, ByteBudget budget, Sending.SendGate gate)
    {
        // The factory owns the meter (one per name, shared with SendMetrics) and disposes it with the host.
        var meter = meterFactory.Create(SendMetrics.MeterName);
        meter.CreateObservableUpDownCounter("sesworker.smtp.connections.open", () => pool.OpenConnections,
            description: "SMTP connections this process holds open to the provider (idle and in use).");
        // The worker's own accounting of message bodies in memory (Worker:InFlightBytes): Prometheus sesworker_inflight_bytes...
        meter.CreateObservableGauge("sesworker.inflight.bytes", () => budget.InFlight,
            description: "Bytes of message bodies this process works on now (read, composed, being sent).");
        meter.CreateObservableGauge("sesworker.inflight.bytes.high_water", () => budget.HighWater,
            description: "The most bytes of message bodies this process has worked on at once since it started; never above the limit.");
        meter.CreateObservableGauge("sesworker.inflight.bytes.limit", () => budget.Capacity,
            description: "The budget of bytes in flight (Worker:InFlightBytes).");
        meter.CreateObservableGauge("sesworker.inflight.waiting", () => budget.Waiting,
            description: "Messages delivered to this process that wait for room in the budget.");
        meter.CreateObservableGauge("sesworker.sends.in_progress", () => gate.InUse,
            description: "Sends this process works on now, all lanes together (at most sesworker.sends.turns).");
        meter.CreateObservableGauge("sesworker.sends.turns", () => gate.Capacity,
            description: "Sends this process may work on at once now (Worker:MinConcurrentSends to Worker:MaxConcurrentSends, set by the load).");
        meter.CreateObservableGauge("sesworker.sends.waiting", () => gate.Waiting,
            description: "Messages delivered to this process that wait for a turn to be sent (sesworker.sends.turns).");
        meter.CreateObservableCounter("sesworker.inflight.oversized", () => budget.Oversized,
            description: "Messages larger than the whole budget, each sent alone.");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
