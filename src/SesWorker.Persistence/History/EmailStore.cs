using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SesWorker.Contracts;

namespace SesWorker.Persistence.History;

/// <summary>
/// The hot-path writes, in hand-written SQL batches so each step is one round trip: the claim by
/// EmailId (which makes redelivery safe) and the outcome (attempt row + email row, one implicit transaction).
/// EF Core owns the schema (migrations) and the read side.
/// </summary>
public sealed class EmailStore(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    private const string ClaimableStatuses = "'received','retrying','deferred','unknown'";

    public async Task<ClaimResult> ClaimAsync(SendEmail command, string workerId, TimeSpan lease, bool allowDeadLettered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var batch = dataSource.CreateBatch();

        var insert = new NpgsqlBatchCommand("""
            INSERT INTO email_messages (email_id, app_id, from_address, from_name, to_addresses, reply_to, subject,
                message_id, correlation_id, metadata, attachment_count, attachment_bytes, status, attempts, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'received', 0, now(), now())
            ON CONFLICT (email_id) DO NOTHING
            """);
        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        insert.Parameters.Add(Text(Truncate(command.AppId, 64)));
        insert.Parameters.Add(Text(Truncate(command.From?.Address, 320)));
        insert.Parameters.Add(Text(command.From?.Name));
        insert.Parameters.Add(new NpgsqlParameter<string[]>
        {
            TypedValue = command.To?.Where(t => t is not null).Select(t => t.Address ?? string.Empty).ToArray() ?? [],
        });
        insert.Parameters.Add(Text(command.ReplyTo?.Address));
        insert.Parameters.Add(Text(command.Subject));
        insert.Parameters.Add(Text(command.MessageId));
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)command.CorrelationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        insert.Parameters.Add(new NpgsqlParameter
        {
            Value = command.Metadata is null ? DBNull.Value : JsonSerializer.Serialize(command.Metadata),
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = command.Attachments?.Count ?? 0 });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.Attachments?.Sum(a => (long)((a?.Content?.Length ?? 0) / 4 * 3)) ?? 0 });
        batch.BatchCommands.Add(insert);

        var statuses = allowDeadLettered ? ClaimableStatuses + ",'dead_lettered'" : ClaimableStatuses;
        var claim = new NpgsqlBatchCommand($"""
            UPDATE email_messages SET status = 'sending', worker_id = $2, lease_until = now() + $3, updated_at = now()
            WHERE email_id = $1 AND (status IN ({statuses}) OR (status = 'sending' AND (worker_id = $2 OR lease_until IS NULL OR lease_until < now())))
            RETURNING status, attempts
            """);
        claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        claim.Parameters.Add(Text(workerId));
        claim.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease });
        batch.BatchCommands.Add(claim);

        var current = new NpgsqlBatchCommand("SELECT status, attempts FROM email_messages WHERE email_id = $1");
        current.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        batch.BatchCommands.Add(current);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var claimed = await reader.ReadAsync(cancellationToken);
        var attempts = claimed ? reader.GetInt32(1) : 0;
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var status = reader.GetString(0);
        attempts = reader.GetInt32(1);

        if (claimed)
            return new ClaimResult(ClaimState.Claimed, status, attempts);
        return EmailStatus.IsTerminal(status)
            ? new ClaimResult(ClaimState.AlreadyCompleted, status, attempts)
            : new ClaimResult(ClaimState.HeldElsewhere, status, attempts);
    }

    /// <summary>Records one attempt and moves the email row, in one round trip and one transaction. Returns the attempt count.</summary>
    public async Task<int> RecordAsync(AttemptRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = timeProvider.GetUtcNow();
        await using var batch = dataSource.CreateBatch();

        var update = new NpgsqlBatchCommand("""
            UPDATE email_messages SET
                status = $2, attempts = attempts + $3, failure_code = $4, failure_message = $5, smtp_status = $6,
                smtp_reply = $7, provider_request_id = $8, message_id = COALESCE($9, message_id),
                size_bytes = COALESCE($10, size_bytes), sha256 = COALESCE($11, sha256), updated_at = now(),
                lease_until = NULL,
                sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                completed_at = CASE WHEN $2 IN ('sent', 'failed', 'dead_lettered') THEN now() ELSE NULL END
            WHERE email_id = $1
            RETURNING attempts
            """);
        update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.EmailId });
        update.Parameters.Add(Text(record.NewStatus));
        update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = record.CountsAsAttempt ? 1 : 0 });
        update.Parameters.Add(Text(Truncate(record.Code, 128)));
        update.Parameters.Add(Text(record.Message));
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)record.SmtpStatus ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        update.Parameters.Add(Text(record.SmtpReply));
        update.Parameters.Add(Text(record.RequestId));
        update.Parameters.Add(Text(record.MessageId));
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)record.SizeBytes ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        update.Parameters.Add(Text(record.Sha256));
        batch.BatchCommands.Add(update);

        if (record.CountsAsAttempt)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, smtp_status,
                    enhanced_code, provider_code, provider_message, request_id, smtp_reply)
                SELECT $1, attempts, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM email_messages WHERE email_id = $1
                """);
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.EmailId });
            insert.Parameters.Add(Text(record.WorkerId));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = record.StartedAt });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            insert.Parameters.Add(Text(record.Outcome));
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)record.SmtpStatus ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(Text(record.EnhancedCode));
            insert.Parameters.Add(Text(Truncate(record.Code, 128)));
            insert.Parameters.Add(Text(record.Message));
            insert.Parameters.Add(Text(record.RequestId));
            insert.Parameters.Add(Text(record.SmtpReply));
            batch.BatchCommands.Add(insert);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt32(0) : 0;
    }

    /// <summary>Gives up a claim without an outcome (the message goes round a delay queue again).</summary>
    public async Task ReleaseAsync(Guid emailId, string status, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE email_messages SET status = $2, lease_until = NULL, updated_at = now() WHERE email_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = emailId });
        command.Parameters.Add(Text(status));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];
}
