using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using SesWorker.Persistence;

namespace SesWorker.Cli.Commands;

/// <summary>
/// `bench-history`: fills a database of its own with N history rows (real migrations, so real indexes and views),
/// then times the view queries people run (per appId + time range, per recipient, failures by code, one email's
/// attempts) and the write rate of claims + outcomes at that size. Rerunnable: --reuse keeps a filled database.
/// It drops and recreates its database, so it refuses the connection string's own (the worker's history) outright,
/// and any other existing database unless --yes says so.
/// </summary>
internal static class HistoryBenchCommand
{
    private const int Apps = 100;
    private const int Senders = 50;
    private const int Chunk = 500_000;
    private static readonly string[] Codes =
        ["FailedOperation.EmailAddrInBlacklist", "FailedOperation.IncorrectEmail", "FailedOperation.ReceiverHasUnsubscribed", "SesWorker.SmtpPermanent", "FailedOperation.AttachContentToolarge"];

    public static Command Create(CliContext context)
    {
        var rows = new Option<int>("--rows") { Description = "History rows to fill.", DefaultValueFactory = _ => 10_000_000 };
        var recipients = new Option<int>("--recipients") { Description = "Distinct recipient addresses.", DefaultValueFactory = _ => 1_000_000 };
        var database = new Option<string>("--database") { Description = "The bench's own database (created on the server of ConnectionStrings:Postgres).", DefaultValueFactory = _ => "sesworker_history_bench" };
        var reuse = new Option<bool>("--reuse") { Description = "Keep the database if it already holds --rows rows (skip the fill)." };
        var yes = new Option<bool>("--yes") { Description = "Allow dropping --database when it exists and is not reused (never the connection string's own database)." };
        var writeSeconds = new Option<int>("--write-seconds") { Description = "How long to measure outcome writes.", DefaultValueFactory = _ => 15 };
        var writers = new Option<int>("--writers") { Description = "Concurrent writer connections (worker replicas' sends in flight).", DefaultValueFactory = _ => 8 };
        var command = new Command("bench-history", "Benchmark the history views and outcome writes at millions of rows.")
        {
            rows, recipients, database, reuse, yes, writeSeconds, writers,
        };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(rows), parse.GetValue(recipients), parse.GetValue(database)!, parse.GetValue(writeSeconds), parse.GetValue(writers));
            if (settings.Rows < 1000 || settings.Recipients < 1 || settings.Writers < 1)
                throw new CliException("--rows must be at least 1000; --recipients and --writers at least 1");
            var configured = Connections.Postgres(context.Configuration);
            if (Refusal(configured, settings.Database) is { } refusal)
                throw new CliException(refusal);
            var connection = new NpgsqlConnectionStringBuilder(configured) { Database = settings.Database }.ConnectionString;
            await PrepareAsync(context, connection, settings, parse.GetValue(reuse), parse.GetValue(yes), cancellationToken);
            // Unprepared, as people and the CLI query: a prepared statement's generic plan can walk the time index for a
            // recipient instead of using GIN (see README, "History at scale").
            await using var dataSource = NpgsqlDataSource.Create(connection);
            await QueriesAsync(context.Output, dataSource, settings, cancellationToken);
            await WritesAsync(context.Output, dataSource, settings, cancellationToken);
            return 0;
        });
        return command;
    }

    private sealed record Settings(int Rows, int Recipients, string Database, int WriteSeconds, int Writers);

    private static async Task PrepareAsync(CliContext context, string connection, Settings settings, bool reuse, bool yes, CancellationToken cancellationToken)
    {
        var output = context.Output;
        var admin = new NpgsqlConnectionStringBuilder(connection) { Database = "postgres" }.ConnectionString;
        await using (var server = new NpgsqlConnection(admin))
        {
            await server.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", server);
            exists.Parameters.AddWithValue("name", settings.Database);
            var present = await exists.ExecuteScalarAsync(cancellationToken) is not null;
            var reusable = present && reuse && await CountAsync(connection, cancellationToken) >= settings.Rows;
            var preparation = Decide(settings.Database, present, reusable, yes);
            if (preparation == Preparation.Reuse)
            {
                output.WriteLine($"reusing {settings.Database}");
                await using var reused = NpgsqlDataSource.Create(connection);
                await using var analyze = reused.CreateCommand("ANALYZE email_messages");
                analyze.CommandTimeout = 0;
                await analyze.ExecuteNonQueryAsync(cancellationToken);
                return;
            }

            if (preparation == Preparation.Recreate)
                await new NpgsqlCommand($"DROP DATABASE \"{settings.Database}\" WITH (FORCE)", server).ExecuteNonQueryAsync(cancellationToken);
            await new NpgsqlCommand($"CREATE DATABASE \"{settings.Database}\"", server).ExecuteNonQueryAsync(cancellationToken);
        }

        var options = new DbContextOptionsBuilder<SesWorkerDbContext>();
        SesWorkerDbContext.Configure(options, connection);
        await using (var db = new SesWorkerDbContext(options.Options))
            await db.Database.MigrateAsync(cancellationToken);

        // Server-side generation in chunks (one statement each): 30 days of history, 100 appIds, 90% sent, 7% failed
        // over five codes, 2% dead-lettered, 1% still retrying; one attempt row for every tenth email.
        var stopwatch = Stopwatch.StartNew();
        await using var dataSource = NpgsqlDataSource.Create(connection);
        for (var start = 0; start < settings.Rows; start += Chunk)
        {
            var end = Math.Min(settings.Rows, start + Chunk);
            await using var fill = dataSource.CreateCommand($"""
                INSERT INTO email_messages (email_id, app_id, from_address, to_addresses, subject, status, failure_code, failure_message,
                    attachment_count, attachment_bytes, size_bytes, attempts, created_at, updated_at, sent_at, completed_at, producer_key)
                SELECT md5('e' || i)::uuid,
                       (1000 + i % {Apps})::text,
                       'sender' || (i % {Senders}) || '@example.com',
                       CASE WHEN i % 20 = 0
                            THEN ARRAY['user' || ((i * 7919) % @recipients) || '@example.org', 'user' || ((i * 104729) % @recipients) || '@example.org', 'cc' || (i % 10) || '@example.org']
                            ELSE ARRAY['user' || ((i * 7919) % @recipients) || '@example.org'] END,
                       'Order ' || i || ' confirmation',
                       s.status,
                       CASE WHEN s.status IN ('failed', 'dead_lettered') THEN (@codes::text[])[1 + i % 5] END,
                       CASE WHEN s.status IN ('failed', 'dead_lettered') THEN 'refused by the provider' END,
                       0, 0, 2000 + i % 5000, 1, t.created, t.created + interval '2 seconds',
                       CASE WHEN s.status = 'sent' THEN t.created + interval '1 second' END,
                       CASE WHEN s.status <> 'retrying' THEN t.created + interval '2 seconds' END,
                       CASE WHEN i % 3 = 0 THEN 'order-' || i END
                FROM generate_series(@start, @end - 1) AS i
                CROSS JOIN LATERAL (SELECT now() - interval '30 days' * (1 - i::float8 / @rows) AS created) t
                CROSS JOIN LATERAL (SELECT CASE WHEN i % 100 < 90 THEN 'sent' WHEN i % 100 < 97 THEN 'failed' WHEN i % 100 < 99 THEN 'dead_lettered' ELSE 'retrying' END AS status) s
                """);
            fill.CommandTimeout = 0;
            fill.Parameters.AddWithValue("start", (long)start);
            fill.Parameters.AddWithValue("end", (long)end);
            fill.Parameters.AddWithValue("rows", (double)settings.Rows);
            fill.Parameters.AddWithValue("recipients", settings.Recipients);
            fill.Parameters.Add(new NpgsqlParameter("codes", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Codes });
            await fill.ExecuteNonQueryAsync(cancellationToken);

            await using var attempts = dataSource.CreateCommand("""
                INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, smtp_status, provider_code, request_id)
                SELECT md5('e' || i)::uuid, 1, 'bench', now(), now(), 'sent', 250, NULL, 'req-' || i
                FROM generate_series(@start, @end - 1) AS i WHERE i % 10 = 0
                """);
            attempts.CommandTimeout = 0;
            attempts.Parameters.AddWithValue("start", start);
            attempts.Parameters.AddWithValue("end", end);
            await attempts.ExecuteNonQueryAsync(cancellationToken);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"filled {end:N0} rows ({stopwatch.Elapsed.TotalSeconds:F0} s)"));
        }

        // One statement each: VACUUM refuses to run inside the implicit transaction of a multi-statement command.
        foreach (var table in new[] { "email_messages", "send_attempts" })
        {
            await using var vacuum = dataSource.CreateCommand($"VACUUM (ANALYZE) {table}");
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fill done: {settings.Rows:N0} emails in {stopwatch.Elapsed.TotalSeconds:F0} s"));
    }

    /// <summary>
    /// Why the bench must not touch <paramref name="database"/> at all, or null. The connection string's own database
    /// is the history the workers write: `--database sesworker --reuse` on production dropped it whenever it held fewer
    /// than --rows rows. Compared as written (ordinal): the bench quotes its name, so PostgreSQL takes it case-sensitively,
    /// and "SesWorker" is another database than sesworker. With no Database in the string, the server picks the one
    /// named after the user (PGDATABASE and PGUSER stand in for either).
    /// </summary>
    internal static string? Refusal(string connectionString, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var own = NonEmpty(builder.Database) ?? NonEmpty(Environment.GetEnvironmentVariable("PGDATABASE"))
            ?? NonEmpty(builder.Username) ?? NonEmpty(Environment.GetEnvironmentVariable("PGUSER")) ?? Environment.UserName;
        return string.Equals(own, database, StringComparison.Ordinal)
            ? $"--database \"{database}\" is the database of ConnectionStrings:Postgres (the send history); bench-history drops and refills its database, so it runs only on one of its own (default sesworker_history_bench)"
            : null;

        static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
    }

    internal enum Preparation { Create, Reuse, Recreate }

    /// <summary>
    /// What to do with the bench's database once we know whether it exists and holds --rows rows (--reuse). An existing
    /// one is dropped (WITH (FORCE): its sessions too) only with --yes: a mistyped --database names someone's data.
    /// </summary>
    internal static Preparation Decide(string database, bool present, bool reusable, bool yes) =>
        !present ? Preparation.Create
        : reusable ? Preparation.Reuse
        : yes ? Preparation.Recreate
        : throw new CliException($"database \"{database}\" exists and bench-history would drop it (DROP DATABASE ... WITH (FORCE)) to fill it again: add --yes to allow that, or --reuse if it already holds --rows rows");

    private static async Task<long> CountAsync(string connection, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(connection);
        try
        {
            await using var count = dataSource.CreateCommand("SELECT count(*) FROM email_messages");
            count.CommandTimeout = 0;
            return await count.ExecuteScalarAsync(cancellationToken) is long rows ? rows : 0;
        }
        catch (PostgresException)
        {
            return 0;
        }
    }

    private static async Task QueriesAsync(TextWriter output, NpgsqlDataSource dataSource, Settings settings, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        string App() => (1000 + random.Next(Apps)).ToString(CultureInfo.InvariantCulture);
        DateTimeOffset Within(TimeSpan back) => DateTimeOffset.UtcNow - TimeSpan.FromDays(random.NextDouble() * 29) - back;
        string Recipient() => $"user{(long)random.Next(settings.Rows) * 7919 % settings.Recipients}@example.org";
#pragma warning disable CA5351 // The fill's ids are PostgreSQL's md5('e' || i): the same function finds one again.
        Guid Email() => Guid.Parse(Convert.ToHexString(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes($"e{random.Next(settings.Rows / 10) * 10}"))));
#pragma warning restore CA5351

        var queries = new (string Name, string Sql, Func<NpgsqlParameter[]> Parameters)[]
        {
            ("email_history: appId + 1 h, newest 100", "SELECT * FROM email_history WHERE app_id = $1 AND created_at >= $2 AND created_at < $2 + interval '1 hour' ORDER BY created_at DESC LIMIT 100",
                () => [new() { Value = App() }, new() { Value = Within(TimeSpan.FromHours(1)) }]),
            ("email_history: appId + 1 day, newest 100", "SELECT * FROM email_history WHERE app_id = $1 AND created_at >= $2 AND created_at < $2 + interval '1 day' ORDER BY created_at DESC LIMIT 100",
                () => [new() { Value = App() }, new() { Value = Within(TimeSpan.FromDays(1)) }]),
            ("email_history: recipient, newest 100", "SELECT * FROM email_history WHERE to_addresses @> ARRAY[$1]::text[] ORDER BY created_at DESC LIMIT 100",
                () => [new() { Value = Recipient() }]),
            ("email_history: newest 50, no filter", "SELECT * FROM email_history ORDER BY created_at DESC LIMIT 50", () => []),
            ("app_activity: appId, 1 h by minute", "SELECT * FROM app_activity WHERE app_id = $1 AND minute >= $2 AND minute < $2 + interval '1 hour' ORDER BY minute",
                () => [new() { Value = App() }, new() { Value = Within(TimeSpan.FromHours(1)) }]),
            ("failures_by_code: 1 h, all apps", "SELECT failure_code, sum(emails) FROM failures_by_code WHERE hour >= $1 AND hour < $1 + interval '1 hour' GROUP BY 1",
                () => [new() { Value = Within(TimeSpan.FromHours(1)) }]),
            ("failures_by_code: 1 day, all apps", "SELECT failure_code, sum(emails) FROM failures_by_code WHERE hour >= $1 AND hour < $1 + interval '1 day' GROUP BY 1",
                () => [new() { Value = Within(TimeSpan.FromDays(1)) }]),
            ("email_attempts: one email", "SELECT * FROM email_attempts WHERE email_id = $1", () => [new() { Value = Email() }]),
        };

        output.WriteLine();
        output.WriteLine($"{"query",-44} {"p50 ms",8} {"p95 ms",8} {"max ms",8} {"rows",6}");
        foreach (var (name, sql, parameters) in queries)
        {
            var times = new List<double>();
            long lastRows = 0;
            for (var i = 0; i < 23; i++)
            {
                await using var command = dataSource.CreateCommand(sql);
                command.Parameters.AddRange(parameters());
                var stopwatch = Stopwatch.StartNew();
                long count = 0;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                        count++;
                }

                // The first three warm the plan and the cache; a person's second query is the one that counts.
                if (i >= 3)
                    times.Add(stopwatch.Elapsed.TotalMilliseconds);
                lastRows = count;
            }

            times.Sort();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-44} {times[times.Count / 2],8:F2} {times[(int)(times.Count * 0.95)],8:F2} {times[^1],8:F2} {lastRows,6}"));
        }
    }

    /// <summary>
    /// What the worker writes per email, as statements of the same shape: claim (insert + mark sending) and outcome
    /// (attempt row + mark sent), two round trips, from several connections at once.
    /// </summary>
    private static async Task WritesAsync(TextWriter output, NpgsqlDataSource dataSource, Settings settings, CancellationToken cancellationToken)
    {
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(settings.WriteSeconds);
        var written = 0L;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, settings.Writers).Select(async writer =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var n = 0;
            while (DateTime.UtcNow < stop)
            {
                var id = Guid.NewGuid();
                await using (var claim = new NpgsqlBatch(connection))
                {
                    var insert = new NpgsqlBatchCommand("""
                        INSERT INTO email_messages (email_id, app_id, from_address, to_addresses, subject, status, attempts, attachment_count, attachment_bytes, created_at, updated_at, worker_id)
                        VALUES ($1, $2, $3, $4, $5, 'sending', 0, 0, 0, now(), now(), 'bench') ON CONFLICT (email_id) DO NOTHING
                        """);
                    insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = (1000 + n % Apps).ToString(CultureInfo.InvariantCulture) });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "sender1@example.com" });
                    insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [$"bench{writer}-{n % 5000}@example.org"] });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "Bench" });
                    claim.BatchCommands.Add(insert);
                    await claim.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var outcome = new NpgsqlBatch(connection))
                {
                    var attempt = new NpgsqlBatchCommand("""
                        INSERT INTO send_attempts (email_id, attempt_number, worker_id, started_at, ended_at, outcome, smtp_status, request_id)
                        VALUES ($1, 1, 'bench', now(), now(), 'sent', 250, 'req')
                        """);
                    attempt.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                    outcome.BatchCommands.Add(attempt);
                    var sent = new NpgsqlBatchCommand("""
                        UPDATE email_messages SET status = 'sent', attempts = 1, smtp_status = 250, smtp_reply = '250 Ok', sent_at = now(), completed_at = now(), updated_at = now()
                        WHERE email_id = $1
                        """);
                    sent.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                    outcome.BatchCommands.Add(sent);
                    await outcome.ExecuteNonQueryAsync(cancellationToken);
                }

                n++;
                Interlocked.Increment(ref written);
            }
        }));

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"outcome writes: {written:N0} emails claimed and recorded sent in {stopwatch.Elapsed.TotalSeconds:F1} s by {settings.Writers} connections = {written / stopwatch.Elapsed.TotalSeconds:F0} emails/s (4 statements, 2 round trips each)"));
    }
}
