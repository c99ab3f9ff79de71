using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Smtp;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Gauges read when scraped, on the worker's meter, so they cost nothing on the send path. A hosted service only so
/// that the host creates it at start.
/// </summary>
internal sealed class WorkerGauges : IHostedService
{
    public WorkerGauges(IMeterFactory meterFactory, SmtpConnectionPool pool)
    {
        // The factory owns the meter (one per name, shared with SendMetrics) and disposes it with the host.
        meterFactory.Create(SendMetrics.MeterName).CreateObservableUpDownCounter("sesworker.smtp.connections.open", () => pool.OpenConnections,
            description: "SMTP connections this process holds open to the provider (idle and in use).");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
