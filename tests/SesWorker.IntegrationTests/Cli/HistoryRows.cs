using Npgsql;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Cli;

/// <summary>History rows written straight into the database, so the CLI's output can be checked against known values.</summary>
internal static class HistoryRows
{
    public sealed record Row(Guid EmailId, string AppId, string From, string[] To, string Subject, string Status, DateTimeOffset CreatedAt)
    {
        public string? FailureCode { get; init; }

        public string? FailureMessage { get; init; }

        public string? ProducerKey { get; init; }

        public int Attempts { get; init; } = 1;

        public DateTimeOffset? UpdatedAt { get; init; }
    }

    public static Row Email(string appId, string to, string subject, string status, TimeSpan age, string from = "noreply@example.com") =>
        new(Guid.NewGuid(), appId, from, [to], subject, status, DateTimeOffset.UtcNow - age);

    public static async Task InsertAsync(this SesWorkerFixture fixture, params Row[] rows)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        foreach (var row in rows)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO email_messages (email_id, producer_key, app_id, from_address, to_addresses, subject, status, failure_code, failure_message,
                    attachment_count, attachment_bytes, attempts, created_at, updated_at, sent_at, completed_at)
                VALUES (@id, @key, @app, @from, @to, @subject, @status, @code, @message, 0, 0, @attempts, @created, @updated,
                    CASE WHEN @status = 'sent' THEN @created END, CASE WHEN @status IN ('sent', 'failed', 'dead_lettered') THEN @updated END)
                """, connection);
            insert.Parameters.AddWithValue("id", row.EmailId);
            insert.Parameters.AddWithValue("key", (object?)row.ProducerKey ?? DBNull.Value);
            insert.Parameters.AddWithValue("app", row.AppId);
            insert.Parameters.AddWithValue("from", row.From);
            insert.Parameters.AddWithValue("to", row.To);
            insert.Parameters.AddWithValue("subject", row.Subject);
            insert.Parameters.AddWithValue("status", row.Status);
            insert.Parameters.AddWithValue("code", (object?)row.FailureCode ?? DBNull.Value);
            insert.Parameters.AddWithValue("message", (object?)row.FailureMessage ?? DBNull.Value);
            insert.Parameters.AddWithValue("attempts", row.Attempts);
            insert.Parameters.AddWithValue("created", row.CreatedAt);
            insert.Parameters.AddWithValue("updated", row.UpdatedAt ?? row.CreatedAt);
            await insert.ExecuteNonQueryAsync();
        }
    }

    public static async Task InsertAttemptAsync(this SesWorkerFixture fixture, Guid emailId, int number, string outcome, int smtpStatus, string? providerCode, string? message)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, smtp_status, provider_code, provider_message, request_id)
            VALUES (@id, @n, 'worker-a', now(), now() + interval '120 milliseconds', @outcome, @smtp, @code, @message, @request)
            """, connection);
        insert.Parameters.AddWithValue("id", emailId);
        insert.Parameters.AddWithValue("n", number);
        insert.Parameters.AddWithValue("outcome", outcome);
        insert.Parameters.AddWithValue("smtp", smtpStatus);
        insert.Parameters.AddWithValue("code", (object?)providerCode ?? DBNull.Value);
        insert.Parameters.AddWithValue("message", (object?)message ?? DBNull.Value);
        insert.Parameters.AddWithValue("request", $"req-{number}");
        await insert.ExecuteNonQueryAsync();
    }

    public static Task<long> CountRowsAsync(this SesWorkerFixture fixture, string sql) => fixture.ScalarAsync<long>(sql);
}
