using Npgsql;
using NpgsqlTypes;

namespace SesWorker.Persistence.Limiting;

/// <summary>
/// The distributed limiter shared by every replica: one row per key in an UNLOGGED table, the database
/// clock as the only clock, one statement (one round trip) per acquire, no transaction held while the
/// caller waits. The arithmetic is <see cref="Core.Limiting.Gcra.Reserve"/>: a grant reserves the next free
/// slot and the caller sleeps until it, so the provider sees sends spaced by the interval.
/// </summary>
public sealed class PostgresRateLimiter(NpgsqlDataSource dataSource)
{
    // A pause (the provider's daily quota is spent) is a row of its own, 'pause:' + key, read in the same statement.
    private const string Sql = """
        WITH pause AS (
            SELECT tat FROM rate_limits WHERE key = 'pause:' || $1 AND tat > statement_timestamp()
        ), granted AS (
            INSERT INTO rate_limits AS r (key, tat)
            SELECT $1, statement_timestamp() + $2 WHERE NOT EXISTS (SELECT FROM pause)
            ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, statement_timestamp()) + $2
            WHERE GREATEST(r.tat, statement_timestamp()) - statement_timestamp() <= $3
            RETURNING r.tat
        )
        SELECT (SELECT tat FROM granted) - $2 - statement_timestamp(),
               (SELECT tat FROM rate_limits WHERE key = $1) - statement_timestamp(),
               (SELECT tat FROM pause)
        """;

    public async Task<RateLimitGrant> TryReserveAsync(string key, TimeSpan interval, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = interval, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = maxWait, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.IsDBNull(2))
            return new RateLimitGrant(false, TimeSpan.Zero, TimeSpan.Zero, reader.GetFieldValue<DateTimeOffset>(2));
        if (!reader.IsDBNull(0))
            return new RateLimitGrant(true, Max(reader.GetFieldValue<TimeSpan>(0), TimeSpan.Zero), TimeSpan.Zero);
        // The snapshot shows the TAT before this statement: the backlog ahead of us.
        var backlog = reader.IsDBNull(1) ? TimeSpan.Zero : reader.GetFieldValue<TimeSpan>(1);
        return new RateLimitGrant(false, backlog, Max(backlog - maxWait, TimeSpan.FromMilliseconds(1)));
    }

    /// <summary>Stops every replica from reserving slots for the key until <paramref name="until"/>.</summary>
    public async Task PauseAsync(string key, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO rate_limits (key, tat) VALUES ('pause:' || $1, $2)
            ON CONFLICT (key) DO UPDATE SET tat = GREATEST(rate_limits.tat, EXCLUDED.tat)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = until, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Moves the key's next free slot later by <paramref name="delay"/>: a send that reached the provider late
    /// shares its one-second window with sends that will follow it, so those must start later too.
    /// </summary>
    public async Task PushAsync(string key, TimeSpan delay, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE rate_limits SET tat = GREATEST(tat, statement_timestamp()) + $2 WHERE key = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = delay, NpgsqlDbType = NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
