using Npgsql;
using NpgsqlTypes;

namespace SesWorker.Persistence.Workers;

/// <summary>
/// One row per live worker, beaten every few seconds on the database clock. A claim belongs to a worker whose beat
/// is fresh; the emails of a worker that stopped beating are taken over by the next copy that arrives.
/// </summary>
public sealed class WorkerHeartbeats(NpgsqlDataSource dataSource)
{
    public async Task BeatAsync(string workerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO workers (worker_id) VALUES ($1)
            ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = statement_timestamp()
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A worker that stops cleanly says so: what it still owned can be taken over at once.</summary>
    public async Task RemoveAsync(string workerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM workers WHERE worker_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rows of workers gone for longer than <paramref name="olderThan"/> (crashed ones never remove theirs).</summary>
    public async Task<int> PruneAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM workers WHERE heartbeat_at < statement_timestamp() - $1");
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = olderThan, NpgsqlDbType = NpgsqlDbType.Interval });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
