using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Sending;

[Collection(ServiceBackedTests.Name)]
public sealed class UsageTelemetryTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    // A worker as the fixture builds it (a test before may have stopped them all).
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>MassTransit's usage report (to usage-tracking.masstransit.io) is off in the worker as it is built.</summary>
    [Fact]
    public void The_worker_reports_no_usage_telemetry_to_MassTransit() =>
        Assert.False(fixture.Worker.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
}
