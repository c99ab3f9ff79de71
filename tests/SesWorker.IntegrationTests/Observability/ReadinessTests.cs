using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Observability;

/// <summary>
/// A replica whose PostgreSQL does not answer cannot take a slot or record an outcome: its readiness (the checks tagged
/// "ready", served at /health/ready) says so within the check's 3 s, with the reason and without the connection's
/// password, and comes back once the database answers. The container tests check the same for RabbitMQ.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ReadinessTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Readiness_turns_off_while_PostgreSQL_is_frozen_and_back_on_after()
    {
        var health = fixture.Worker.Services.GetRequiredService<HealthCheckService>();
        var ready = await ReadinessAsync(health);
        Assert.True(ready.Status == HealthStatus.Healthy, Describe(ready));

        HealthReport frozen;
        await fixture.FreezePostgresAsync();
        try
        {
            frozen = await ReadinessAsync(health);
        }
        finally
        {
            await fixture.ThawPostgresAsync();
        }

        var postgres = frozen.Entries["postgres"];
        Assert.Equal(HealthStatus.Unhealthy, frozen.Status);
        Assert.Equal(HealthStatus.Unhealthy, postgres.Status);
        Assert.InRange(postgres.Duration, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("password", Describe(frozen), StringComparison.OrdinalIgnoreCase);
        // The other checks are not held up by it.
        Assert.All(frozen.Entries.Where(e => e.Key != "postgres"), e => Assert.Equal(HealthStatus.Healthy, e.Value.Status));

        var back = DateTimeOffset.UtcNow;
        HealthReport again;
        do
        {
            again = await ReadinessAsync(health);
        }
        while (again.Status != HealthStatus.Healthy && DateTimeOffset.UtcNow - back < TimeSpan.FromSeconds(30));
        Assert.True(again.Status == HealthStatus.Healthy, Describe(again));
    }

    private static Task<HealthReport> ReadinessAsync(HealthCheckService health) =>
        health.CheckHealthAsync(r => r.Tags.Contains("ready"), TestContext.Current.CancellationToken);

    private static string Describe(HealthReport report) =>
        string.Join("; ", report.Entries.Select(e => $"{e.Key} {e.Value.Status} {e.Value.Description} {e.Value.Exception?.Message}"));
}
