using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SesWorker.Contracts;
using SesWorker.Core.Sending;

namespace SesWorker.Persistence.History;

/// <summary>
/// The hot-path writes, in hand-written SQL batches so each step is one round trip: the claim by
/// EmailId (which makes redelivery safe; a claim belongs to a live worker) and the outcome (attempt row + email
/// row, one implicit transaction, fenced by the claim's token).
/// EF Core owns the schema (migrations) and the read side.
/// </summary>
public sealed class EmailStore(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    /// <summary>
    /// Takes the email for this worker: inserts its row on first sight, claimed already, or else claims it if it is
    /// claimable, or if the worker holding it has stopped beating for <paramref name="takeoverAfter"/> (database clock).
    /// A former owner that died after its transaction began leaves an <c>unknown</c> attempt: the provider may have the
    /// message, and it is sent again (at-least-once). One round trip. A first sight writes one row version, not two: an
    /// update of the status is never a HOT update (the status is indexed), so each version costs every index an entry.
    /// A silent owner's claim is taken only when <paramref name="takeOverSilentOwners"/> (the caller's own beats went
    /// through all that time, so the owner's silence is not the database's absence); a worker that stopped cleanly has
    /// no row, and its claims are taken at once either way.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(SendEmail command, string workerId, TimeSpan takeoverAfter, bool takeOverSilentOwners, bool allowDeadLettered,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var batch = dataSource.CreateBatch();
        var token = AddClaim(batch, command, workerId, takeoverAfter, takeOverSilentOwners, allowDeadLettered);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var status = reader.GetString(0);
        if (reader.GetBoolean(2))
        {
            return new ClaimResult(ClaimState.Claimed, status, reader.GetInt32(3), token,
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5),
                CreatedAt: reader.GetFieldValue<DateTimeOffset>(7),
                DueAt: reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                DueCode: reader.IsDBNull(9) ? null : reader.GetString(9));
        }

        return EmailStatus.IsTerminal(status)
            ? new ClaimResult(ClaimState.AlreadyCompleted, status, reader.GetInt32(1))
            : new ClaimResult(ClaimState.HeldElsewhere, status, reader.GetInt32(1),
                OwnerStaleIn: reader.IsDBNull(6) ? TimeSpan.Zero : reader.GetFieldValue<TimeSpan>(6));
    }

    /// <summary>
    /// Runs the claim's statements on <paramref name="connections"/> pooled connections at once, each in a transaction
    /// that is rolled back: nothing is written. A worker does this before it consumes, so its first claims find their
    /// connections open and their statements planned (and compiled here), instead of paying for it all at once under a
    /// backlog (the first claims of a cold worker took 1.3-1.6 s, then 1-3 ms).
    /// </summary>
    public async Task WarmUpAsync(SendEmail sample, int connections, string workerId, TimeSpan takeoverAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // An id of its own on each connection: two transactions inserting one id would wait for each other.
            var email = sample with { EmailId = Guid.NewGuid() };
            // Twice: the second run is the one that prepares the statements (AutoPrepareMinUsages).
            for (var run = 0; run < 2; run++)
            {
                await using var batch = new NpgsqlBatch(connection, transaction);
                AddClaim(batch, email, workerId, takeoverAfter, takeOverSilentOwners: true, allowDeadLettered: false);
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                }
            }

            await transaction.RollbackAsync(cancellationToken);
        }));
    }

    /// <summary>The claim's two statements, added to <paramref name="batch"/>; returns the claim's new token.</summary>
    private static Guid AddClaim(NpgsqlBatch batch, SendEmail command, string workerId, TimeSpan takeoverAfter, bool takeOverSilentOwners, bool allowDeadLettered)
    {

        var insert = new NpgsqlBatchCommand($"""
            INSERT INTO email_messages (email_id, app_id, from_address, from_name, to_addresses, reply_to, subject,
                message_id, correlation_id, metadata, attachment_count, attachment_bytes, producer_key, status, attempts, created_at, updated_at,
                worker_id, claim_token)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '{EmailStatus.Sending}', 0, now(), now(), $14, $15)
            ON CONFLICT (email_id) DO NOTHING
            """);
        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        insert.Parameters.Add(Text(Truncate(command.AppId, 64)));
        insert.Parameters.Add(Text(Truncate(command.From?.Address, 320)));
        insert.Parameters.Add(Text(command.From?.Name));
        insert.Parameters.Add(new NpgsqlParameter<string[]>
        {
            TypedValue = command.To?.Where(t => t is not null).Select(t => WithoutNul(t.Address) ?? string.Empty).ToArray() ?? [],
        });
        insert.Parameters.Add(Text(command.ReplyTo?.Address));
        insert.Parameters.Add(Text(command.Subject));
        insert.Parameters.Add(Text(command.MessageId));
        insert.Parameters.Add(new NpgsqlParameter { Value = (object?)command.CorrelationId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        insert.Parameters.Add(new NpgsqlParameter
        {
            Value = command.Metadata is null ? DBNull.Value : JsonSerializer.Serialize(WithoutNul(command.Metadata)),
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = command.Attachments?.Count ?? 0 });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = command.Attachments?.Sum(a => (long)((a is null ? 0 : a.IsEncoded ? a.EncodedContent.Length : a.Content?.Length ?? 0) / 4 * 3)) ?? 0 });
        insert.Parameters.Add(Text(Truncate(command.ProducerKey, 255)));
        var token = Guid.NewGuid();
        insert.Parameters.Add(Text(workerId));
        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = token });
        batch.BatchCommands.Add(insert);

        var claimable = EmailStatus.SqlList(allowDeadLettered ? [.. EmailStatus.Claimable, EmailStatus.DeadLettered] : EmailStatus.Claimable);
        var claim = new NpgsqlBatchCommand($"""
            WITH prev AS (
                SELECT e.status, e.worker_id, e.transmitting_at, e.attempts, e.created_at, e.claim_token, e.not_sent_since,
                       e.lease_until, e.failure_code,
                       (SELECT w.heartbeat_at FROM workers w WHERE w.worker_id = e.worker_id) AS owner_beat
                FROM email_messages e WHERE e.email_id = $1 FOR UPDATE
            ), decided AS (
                SELECT prev.*,
                       prev.status IN {claimable} OR (prev.status = '{EmailStatus.Sending}' AND (prev.worker_id = $2
                           OR prev.claim_token IS NULL OR prev.owner_beat IS NULL OR ($5 AND prev.owner_beat < now() - $4))) AS can_claim,
                       prev.status = '{EmailStatus.Sending}' AND prev.transmitting_at IS NOT NULL AS was_transmitting
                FROM prev
            ), claimed AS (
                UPDATE email_messages e SET status = '{EmailStatus.Sending}', worker_id = $2, claim_token = $3,
                    transmitting_at = NULL, lease_until = NULL, updated_at = now(),
                    attempts = e.attempts + CASE WHEN d.was_transmitting THEN 1 ELSE 0 END
                -- Not the row the insert above just wrote, claimed by this very call (its token is new).
                FROM decided d WHERE e.email_id = $1 AND d.can_claim AND d.claim_token IS DISTINCT FROM $3
                RETURNING e.attempts, d.was_transmitting, d.worker_id AS former_worker, d.transmitting_at AS former_start
            ), duplicate AS (
                -- A copy of an email that is already done: acknowledged without sending, and counted on its row.
                UPDATE email_messages e SET duplicate_copies = e.duplicate_copies + 1
                FROM decided d WHERE e.email_id = $1 AND NOT d.can_claim AND d.status IN {EmailStatus.SqlList(EmailStatus.Terminal)}
            ), recovered AS (
                INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, provider_code, provider_message)
                SELECT $1, c.attempts, c.former_worker, c.former_start, now(), '{AttemptOutcome.Unknown}', '{ErrorCodes.OwnerLost}',
                       'Worker ' || c.former_worker || ' stopped during the SMTP transaction; the provider may have the message. Sent again (at-least-once).'
                FROM claimed c WHERE c.was_transmitting
            )
            SELECT d.status, d.attempts, d.can_claim, COALESCE(c.attempts, d.attempts), d.not_sent_since,
                   COALESCE(c.was_transmitting, false),
                   GREATEST(d.owner_beat + $4 - now(), interval '0'), d.created_at, d.lease_until, d.failure_code
            FROM decided d LEFT JOIN claimed c ON true
            """);
        claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        claim.Parameters.Add(Text(workerId));
        claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = token });
        claim.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = takeoverAfter });
        claim.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = takeOverSilentOwners });
        batch.BatchCommands.Add(claim);
        return token;
    }

    /// <summary>
    /// Records one attempt (or a decision without one) and moves the email row, in one round trip and one
    /// transaction, and hands the claim back. Fenced: only the holder of <see cref="AttemptRecord.ClaimToken"/> can
    /// write, so a worker that lost its claim (it stalled past the takeover time) changes nothing. Returns the
    /// attempt count, or null when the claim was no longer this worker's.
    /// </summary>
    public async Task<int?> RecordAsync(AttemptRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = timeProvider.GetUtcNow();
        await using var batch = dataSource.CreateBatch();

        // The attempt row first: the update below releases the claim the insert is fenced by.
        if (record.CountsAsAttempt)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, smtp_status,
                    enhanced_code, provider_code, provider_message, request_id, smtp_reply)
                SELECT $1, attempts + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM email_messages WHERE email_id = $1 AND claim_token = $12
                """);
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.EmailId });
            insert.Parameters.Add(Text(record.WorkerId));
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = record.StartedAt });
            insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            insert.Parameters.Add(Text(record.Outcome));
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)record.SmtpStatus ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(Text(record.EnhancedCode));
            insert.Parameters.Add(Text(Truncate(record.Code, 128)));
            insert.Parameters.Add(Text(record.AttemptMessage ?? record.Message));
            insert.Parameters.Add(Text(record.RequestId));
            insert.Parameters.Add(Text(record.SmtpReply));
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.ClaimToken });
            batch.BatchCommands.Add(insert);
        }

        var terminal = EmailStatus.SqlList(EmailStatus.Terminal);
        var update = new NpgsqlBatchCommand($"""
            UPDATE email_messages SET
                status = $2, attempts = attempts + $3, failure_code = $4, failure_message = $5, smtp_status = $6,
                smtp_reply = $7, provider_request_id = $8, message_id = COALESCE($9, message_id),
                size_bytes = COALESCE($10, size_bytes), sha256 = COALESCE($11, sha256), updated_at = now(),
                claim_token = NULL, transmitting_at = NULL, lease_until = $14,
                not_sent_since = CASE WHEN $13 THEN COALESCE(not_sent_since, now()) WHEN $3 > 0 THEN NULL ELSE not_sent_since END,
                sent_at = CASE WHEN $2 = '{EmailStatus.Sent}' THEN now() ELSE sent_at END,
                completed_at = CASE WHEN $2 IN {terminal} THEN now() ELSE NULL END
            WHERE email_id = $1 AND claim_token = $12
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
        update.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.ClaimToken });
        update.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = record.NotSent });
        update.Parameters.Add(Time(record.DueAt));
        batch.BatchCommands.Add(update);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetInt32(0) : null;
    }

    /// <summary>
    /// The attempt count if <paramref name="record"/> is on the row already (a try whose answer was lost had committed):
    /// the claim released, the row this worker's with the record's status, and its attempt, when it counts as one,
    /// written by this worker for this transaction's start. Null otherwise (the claim is another worker's).
    /// </summary>
    public async Task<int?> FindRecordedAsync(AttemptRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var command = dataSource.CreateCommand("""
            SELECT e.attempts FROM email_messages e
            WHERE e.email_id = $1 AND e.claim_token IS NULL AND e.worker_id = $2 AND e.status = $3
              AND (NOT $4 OR EXISTS (SELECT 1 FROM send_attempts a WHERE a.email_id = $1 AND a.worker_id = $2 AND a.started_at = $5))
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = record.EmailId });
        command.Parameters.Add(Text(record.WorkerId));
        command.Parameters.Add(Text(record.NewStatus));
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = record.CountsAsAttempt });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = record.StartedAt });
        return await command.ExecuteScalarAsync(cancellationToken) is int attempts ? attempts : null;
    }

    /// <summary>
    /// Hands the claim back without an outcome (the message goes round a delay queue again, due at <paramref name="dueAt"/>,
    /// which the row keeps as <see cref="AttemptRecord.DueAt"/>). Fenced like <see cref="RecordAsync"/>.
    /// </summary>
    public async Task<bool> ReleaseAsync(Guid emailId, Guid claimToken, string status, DateTimeOffset? dueAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE email_messages SET status = $2, claim_token = NULL, transmitting_at = NULL, lease_until = $4, updated_at = now() WHERE email_id = $1 AND claim_token = $3");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = emailId });
        command.Parameters.Add(Text(status));
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claimToken });
        command.Parameters.Add(Time(dueAt));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Gives up a claim whose consume was cut (the broker's connection lost, the process stopping) without an outcome:
    /// the row stays <c>sending</c>, with no owner's token, so the next copy claims it at once whichever worker it
    /// reaches, as it would a dead worker's (an email whose slot was granted is recorded <c>unknown</c> and sent again).
    /// Without it the owner, alive and beating, kept the email: copies that reached the other worker were deferred, and
    /// two such copies, deferred together, came back to the wrong workers round after round (RabbitMQ delivers to a
    /// queue's consumers in turn). Fenced like <see cref="RecordAsync"/>; false when the claim was no longer this one.
    /// Not <see cref="ReleaseAsync"/>: that one ends a claim whose transaction never began and clears the transmitting
    /// mark; this one keeps it, so that a transaction the cut may have left open is recorded <c>unknown</c>.
    /// </summary>
    public async Task<bool> HandBackAsync(Guid emailId, Guid claimToken, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE email_messages SET claim_token = NULL, updated_at = now()
            WHERE email_id = $1 AND claim_token = $2 AND status = '{EmailStatus.Sending}'
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = emailId });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = claimToken });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>What a terminal email's outcome event says, read back from its row; null when it is not terminal.</summary>
    public async Task<RecordedOutcome?> ReadOutcomeAsync(Guid emailId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT status, app_id, message_id, smtp_reply, attempts, COALESCE(sent_at, completed_at, updated_at), correlation_id,
                   failure_code, failure_message
            FROM email_messages WHERE email_id = $1 AND status IN {EmailStatus.SqlList(EmailStatus.Terminal)}
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = emailId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new RecordedOutcome(
            emailId,
            reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.GetInt32(4),
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetGuid(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8));
    }

    /// <summary>A time as timestamptz (Npgsql writes only UTC offsets there).</summary>
    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { Value = (object?)value?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)WithoutNul(value) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    /// <summary>
    /// PostgreSQL stores no U+0000 in text or jsonb (22021, 22P05), and JSON producers can send one: the history keeps
    /// U+FFFD in its place, so such a message still gets its row and its outcome.
    /// </summary>
    private static IReadOnlyDictionary<string, string> WithoutNul(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.Any(m => m.Key.Contains('\0', StringComparison.Ordinal) || m.Value?.Contains('\0', StringComparison.Ordinal) == true))
            return metadata;
        var clean = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
            clean[WithoutNul(key)!] = WithoutNul(value)!;
        return clean;
    }

    private static string? WithoutNul(string? value) =>
        value is not null && value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    private static string? Truncate(string? value, int length) =>
        value is null || value.Length <= length ? value : value[..length];
}
