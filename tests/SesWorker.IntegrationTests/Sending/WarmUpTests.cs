using Microsoft.EntityFrameworkCore;
using Npgsql;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Worker.Hosting;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// A worker runs its claim on a few pooled connections before it consumes (rolled back), so the first claims under a
/// backlog do not open connections and plan statements all at once (1.3-1.6 s each on a cold worker before).
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class WarmUpTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_worker_starts_with_its_claim_run_on_open_connections_and_nothing_written()
    {
        const string application = "sesworker-warm-up-test";
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.DatabaseConnectionString) { ApplicationName = application }.ConnectionString;
        await fixture.StartWorkerAsync("worker-warm", new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString });

        // Nothing was published: what this worker holds open it opened for the warm-up (and its heartbeat).
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = application } },
        };
        var open = (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        Assert.True(open >= WarmUp.Connections, $"{open} connections open after the start");

        // Rolled back: no history row, no attempt.
        await using var db = fixture.CreateDbContext();
        Assert.False(await db.EmailMessages.AnyAsync(e => e.FromAddress == "warm-up@example.com", TestContext.Current.CancellationToken));
        Assert.Empty(fixture.Simulator.Messages);
    }
}
