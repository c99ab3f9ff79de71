using Npgsql;
using NpgsqlTypes;
using SesWorker.Core.Limiting;

namespace SesWorker.Persistence.Limiting;

/// <summary>
/// The per-recipient hourly cap across replicas: a row per (sender, recipient) holding the send times within
/// the window. A message to several recipients is all-or-nothing: the rows are locked in a fixed order,
/// checked, and updated in one short transaction (two round trips; no lock is held while anyone waits).
/// A send that then does not reach the provider gives its entry back (<see cref="ReleaseAsync"/>): the cap counts mails,
/// not tries.
/// </summary>
public sealed class RecipientCapStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Records the send when every recipient is under the cap (<see cref="RecipientCapCheck.RecordedAt"/>, the entry's
    /// time); otherwise nothing is recorded and <see cref="RecipientCapCheck.BlockedUntil"/> says when the last blocked one frees.
    /// </summary>
    public async Task<RecipientCapCheck> TryRecordAsync(string sender, IEnumerable<string> recipients, int cap, TimeSpan window, CancellationToken cancellationToken)
    {
        var keys = Keys(recipients);
        sender = sender.Trim().ToLowerInvariant();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);
        var ensure = new NpgsqlBatchCommand("""
            INSERT INTO recipient_windows (sender, recipient, sends, last_sent_at)
            SELECT $1, r, '{}', statement_timestamp() FROM unnest($2::text[]) AS r ORDER BY r
            ON CONFLICT (sender, recipient) DO NOTHING
            """);
        ensure.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sender });
        ensure.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        var read = new NpgsqlBatchCommand("""
            SELECT sends, statement_timestamp() FROM recipient_windows
            WHERE sender = $1 AND recipient = ANY($2) ORDER BY recipient FOR UPDATE
            """);
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sender });
        read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        batch.BatchCommands.Add(ensure);
        batch.BatchCommands.Add(read);

        DateTimeOffset? blockedUntil = null;
        DateTimeOffset now = default;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var sends = reader.GetFieldValue<DateTimeOffset[]>(0);
                now = reader.GetFieldValue<DateTimeOffset>(1);
                if (RecipientWindow.NextFree(sends, now, cap, window) is { } free && (blockedUntil is null || free > blockedUntil))
                    blockedUntil = free;
            }
        }

        if (blockedUntil is not null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new RecipientCapCheck(blockedUntil, null);
        }

        await using var update = new NpgsqlCommand("""
            UPDATE recipient_windows
            SET sends = ARRAY(SELECT s FROM unnest(sends) AS s WHERE s > statement_timestamp() - $3) || statement_timestamp(),
                last_sent_at = statement_timestamp()
            WHERE sender = $1 AND recipient = ANY($2)
            RETURNING last_sent_at
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sender });
        update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        update.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = window, NpgsqlDbType = NpgsqlDbType.Interval });
        DateTimeOffset recordedAt;
        await using (var updated = await update.ExecuteReaderAsync(cancellationToken))
        {
            await updated.ReadAsync(cancellationToken);
            recordedAt = updated.GetFieldValue<DateTimeOffset>(0);
        }

        await transaction.CommitAsync(cancellationToken);
        return new RecipientCapCheck(null, recordedAt);
    }

    /// <summary>
    /// Takes back the entry a send recorded at <paramref name="recordedAt"/> for these recipients: the mail did not reach
    /// the provider (no connection, refused, the appId paused, the send given up before its transaction).
    /// </summary>
    public async Task ReleaseAsync(string sender, IEnumerable<string> recipients, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        var keys = Keys(recipients);
        await using var command = dataSource.CreateCommand("""
            UPDATE recipient_windows
            SET sends = sends[:array_position(sends, $3) - 1] || sends[array_position(sends, $3) + 1:]
            WHERE sender = $1 AND recipient = ANY($2) AND array_position(sends, $3) IS NOT NULL
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sender.Trim().ToLowerInvariant() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = recordedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string[] Keys(IEnumerable<string> recipients) =>
        recipients.Select(r => r.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}

/// <summary>What a recipient-cap check found: recorded (the entry's time), or blocked until a time.</summary>
public readonly record struct RecipientCapCheck(DateTimeOffset? BlockedUntil, DateTimeOffset? RecordedAt);
