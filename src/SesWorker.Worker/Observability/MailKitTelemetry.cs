using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Turns on MailKit's own SMTP client metrics (meter <c>mailkit.net.smtp</c>: the duration of each SMTP operation,
/// connect, authenticate and the send transaction, with the host and outcome), so SMTP latency is measured where the
/// protocol runs rather than around it. MailKit keeps them off until configured, once per process, at start.
/// </summary>
internal sealed class MailKitTelemetry(IMeterFactory meterFactory) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        MailKit.Telemetry.SmtpClient.Configure(meterFactory);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
