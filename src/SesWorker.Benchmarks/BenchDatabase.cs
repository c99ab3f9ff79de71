using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace SesWorker.Benchmarks;

/// <summary>
/// A database of the run's own (<c>sesworker_bench_&lt;random&gt;</c>), migrated by the real CLI, so concurrent test
/// runs on the same server never see the benchmark's rows or limiter keys, and it never sees theirs.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private const string Terminal = "status in ('sent', 'failed', 'dead_lettered')";

    private readonly string adminConnectionString;
    private readonly NpgsqlDataSource dataSource;
    private bool dropped;

    private BenchDatabase(string adminConnectionString, string name, string connectionString)
    {
        this.adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
        dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<BenchDatabase> CreateAsync(string serverConnectionString, string cliDll, CancellationToken ct)
    {
        var name = $"sesworker_bench_{RandomNumberGenerator.GetHexString(8, lowercase: true)}";
        var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        var own = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }

        var database = new BenchDatabase(admin, name, own);
        try
        {
            await MigrateAsync(cliDll, own, ct);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>Rows of this run (by the <c>bench</c> metadata key) and how many of them have an outcome.</summary>
    public async Task<(int Total, int Terminal)> CountAsync(string runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select count(*), count(*) filter (where {Terminal}) from email_messages where metadata->>'bench' = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    /// <summary>Counts by status and failure code, and when the last outcome was recorded (database clock).</summary>
    public async Task<(IReadOnlyList<OutcomeCount> Outcomes, DateTimeOffset? LastCompletedAt)> OutcomesAsync(string runId, CancellationToken ct)
    {
        var outcomes = new List<OutcomeCount>();
        await using (var command = dataSource.CreateCommand(
            "select status, failure_code, count(*) from email_messages where metadata->>'bench' = $1 group by 1, 2 order by 3 desc"))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                outcomes.Add(new OutcomeCount(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), (int)reader.GetInt64(2)));
        }

        await using var last = dataSource.CreateCommand($"select max(completed_at) from email_messages where metadata->>'bench' = $1 and {Terminal}");
        last.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId });
        var value = await last.ExecuteScalarAsync(ct);
        return (outcomes, value is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null);
    }

    /// <summary>
    /// The run's rows that <paramref name="workerId"/> held and had not finished: its claims. Read from today's schema
    /// (<c>worker_id</c>, <c>status</c>); a change there must be followed here. <paramref name="workerId"/> is the configured
    /// <c>Worker__WorkerId</c>; the worker's id adds a dash and 6 hex per start.
    /// </summary>
    public async Task<IReadOnlyList<(Guid EmailId, string Status, int Attempts)>> UnfinishedOfAsync(string runId, string workerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select email_id, status, attempts from email_messages where metadata->>'bench' = $1 and left(worker_id, -7) = $2 and not ({Terminal})");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        var rows = new List<(Guid, string, int)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2)));
        return rows;
    }

    /// <summary>When each of <paramref name="emailIds"/> reached a terminal status (null: not yet), database clock.</summary>
    public async Task<IReadOnlyDictionary<Guid, DateTimeOffset?>> CompletedAtAsync(IReadOnlyList<Guid> emailIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"select email_id, case when {Terminal} then completed_at end from email_messages where email_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = emailIds.ToArray() });
        var rows = new Dictionary<Guid, DateTimeOffset?>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
        return rows;
    }

    /// <summary>The run's emails recorded <c>unknown</c> at any point: their status, or any attempt's outcome.</summary>
    public async Task<IReadOnlySet<Guid>> RecordedUnknownAsync(string runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            select e.email_id from email_messages e
            where e.metadata->>'bench' = $1
              and (e.status = 'unknown' or exists (select 1 from send_attempts a where a.email_id = e.email_id and a.outcome = 'unknown'))
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = runId });
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>Drops the database (closing the workers' leftover sessions too).</summary>
    public async ValueTask DisposeAsync()
    {
        await dataSource.DisposeAsync();
        if (dropped)
            return;
        dropped = true;
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Keeps the database for inspection: disposing then only closes the pool.</summary>
    public void Keep() => dropped = true;

    private static async Task MigrateAsync(string cliDll, string connectionString, CancellationToken ct)
    {
        if (!File.Exists(cliDll))
            throw new BenchmarkException($"{cliDll} not found: build the solution in Release first");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cliDll);
        start.ArgumentList.Add("migrate");
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start) ?? throw new BenchmarkException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new BenchmarkException($"migrate failed (exit {process.ExitCode}):\n{await output}{await error}");
    }
}

internal sealed record OutcomeCount(string Status, string? FailureCode, int Count);
