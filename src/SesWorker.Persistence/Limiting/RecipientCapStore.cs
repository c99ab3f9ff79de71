using Npgsql;
using NpgsqlTypes;
using SesWorker.Core.Limiting;

namespace SesWorker.Persistence.Limiting;

/// <summary>
/// The per-recipient hourly cap across replicas: a row per (sender, recipient) holding the send times within
/// the window. A message to several recipients is all-or-nothing: the rows are locked in a fixed order,
/// checked, and updated in one short transaction (two round trips; no lock is held while anyone waits).
/// </summary>
public sealed class RecipientCapStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records the send and returns null when every recipient is under the cap; otherwise when the last blocked one frees.</summary>
    public async Task<DateTimeOffset?> TryRecordAsync(string sender, IEnumerable<string> recipients, int cap, TimeSpan window, CancellationToken cancellationToken)
    {
        var keys = recipients.Select(r => r.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
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
            return blockedUntil;
        }

        await using var update = new NpgsqlCommand("""
            UPDATE recipient_windows
            SET sends = ARRAY(SELECT s FROM unnest(sends) AS s WHERE s > statement_timestamp() - $3) || statement_timestamp(),
                last_sent_at = statement_timestamp()
            WHERE sender = $1 AND recipient = ANY($2)
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sender });
        update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        update.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = window, NpgsqlDbType = NpgsqlDbType.Interval });
        await update.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return null;
    }
}
