using Npgsql;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Cli;

[Collection(ServiceBackedTests.Name)]
public sealed class RetentionAndRoleTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Purge_deletes_old_terminal_emails_and_their_attempts_and_keeps_everything_else()
    {
        var oldSent = HistoryRows.Email("1000", "a@example.org", "old sent", "sent", TimeSpan.FromDays(40));
        var oldFailed = HistoryRows.Email("1000", "b@example.org", "old failed", "failed", TimeSpan.FromDays(40)) with { FailureCode = "FailedOperation.IncorrectEmail" };
        var oldRetrying = HistoryRows.Email("1000", "c@example.org", "old retrying", "retrying", TimeSpan.FromDays(40));
        var oldUnknown = HistoryRows.Email("1000", "d@example.org", "old unknown", "unknown", TimeSpan.FromDays(40));
        var recent = HistoryRows.Email("1000", "e@example.org", "recent", "sent", TimeSpan.FromDays(1));
        await fixture.InsertAsync(oldSent, oldFailed, oldRetrying, oldUnknown, recent);
        await fixture.InsertAttemptAsync(oldSent.EmailId, 1, "sent", 250, null, null);
        await fixture.CountRowsAsync("""
            WITH w AS (INSERT INTO recipient_windows (sender, recipient, sends, last_sent_at) VALUES
                ('a@example.com', 'idle@example.org', ARRAY[now() - interval '40 days'], now() - interval '40 days'),
                ('a@example.com', 'recent@example.org', ARRAY[now() - interval '10 minutes'], now() - interval '10 minutes')
                RETURNING 1)
            SELECT count(*) FROM w
            """);

        var (dryExit, dry) = await fixture.RunAsync("purge", "--older-than", "30d", "--dry-run");
        var (refusedExit, refused) = await fixture.RunAsync("purge", "--older-than", "30d");
        var (exitCode, output) = await fixture.RunAsync("purge", "--older-than", "30d", "--yes", "--batch-size", "1");

        Assert.Equal(0, dryExit);
        Assert.StartsWith("dry run: would delete 2 terminal emails", dry, StringComparison.Ordinal);
        Assert.Equal(2, refusedExit);
        Assert.Contains("--yes", refused, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
        Assert.StartsWith("deleted 2 terminal emails", output.Lines()[^1], StringComparison.Ordinal);
        Assert.Equal(3, await fixture.CountRowsAsync("SELECT count(*) FROM email_messages"));
        Assert.Equal(0, await fixture.CountRowsAsync($"SELECT count(*) FROM email_messages WHERE email_id IN ('{oldSent.EmailId}', '{oldFailed.EmailId}')"));
        Assert.Equal(0, await fixture.CountRowsAsync("SELECT count(*) FROM send_attempts"));
        Assert.Contains("and 1 recipient-cap rows idle", output, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.CountRowsAsync("SELECT count(*) FROM recipient_windows WHERE recipient = 'idle@example.org'"));
        Assert.Equal(1, await fixture.CountRowsAsync("SELECT count(*) FROM recipient_windows WHERE recipient = 'recent@example.org'"));
    }

    [Fact]
    public async Task The_reader_role_reads_every_view_and_cannot_write()
    {
        await fixture.InsertAsync(HistoryRows.Email("1000", "a@example.org", "readable", "sent", TimeSpan.FromMinutes(1)));
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await Execute("SET ROLE sesworker_reader");

        foreach (var view in new[] { "email_history", "app_activity", "email_recipients", "failures_by_code", "email_attempts", "email_messages", "send_attempts" })
        {
            await using var read = new NpgsqlCommand($"SELECT count(*) FROM {view}", connection);
            await read.ExecuteScalarAsync();
        }

        var insert = await Assert.ThrowsAsync<PostgresException>(() => Execute(
            "INSERT INTO email_messages (email_id, to_addresses, status, attachment_count, attachment_bytes, attempts, created_at, updated_at) VALUES (gen_random_uuid(), '{}', 'sent', 0, 0, 0, now(), now())"));
        var update = await Assert.ThrowsAsync<PostgresException>(() => Execute("UPDATE email_messages SET status = 'failed'"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => Execute("DELETE FROM send_attempts"));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => Execute("TRUNCATE email_messages CASCADE"));

        Assert.All(new[] { insert, update, delete, truncate }, e => Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState));
        await Execute("RESET ROLE");
        Assert.Equal(1, await fixture.CountRowsAsync("SELECT count(*) FROM email_messages WHERE status = 'sent'"));

        async Task Execute(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
