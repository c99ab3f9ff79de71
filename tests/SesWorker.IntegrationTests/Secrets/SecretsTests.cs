using System.Text;
using Npgsql;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Secrets;

/// <summary>
/// Secrets never reach the logs or the database: a worker process logging everything its logging carries (Trace for every
/// category: the worker's, MassTransit's, the host's and ASP.NET Core's) sends, fails to authenticate with a wrong SMTP
/// password, and then every line it wrote and every row of every table are searched for each secret it was given.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class SecretsTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private readonly string _databasePassword = $"pg-Secret-{Guid.NewGuid():N}";
    private readonly string _wrongSmtpPassword = $"smtp-Wrong-{Guid.NewGuid():N}";
    private readonly string _role = $"sesworker_secret_{Guid.NewGuid():N}"[..30];
    private WorkerProcess? _worker;

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        await fixture.StopWorkersAsync();
        // A role of its own, so the database password is one no other string in the run contains.
        await fixture.ExecuteSqlAsync($"CREATE ROLE {_role} LOGIN SUPERUSER PASSWORD '{_databasePassword}'");
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
            await _worker.DisposeAsync();
        await fixture.ExecuteSqlAsync($"DROP ROLE IF EXISTS {_role}");
    }

    [Fact]
    public async Task No_password_reaches_the_logs_or_the_database_even_at_trace_level()
    {
        var wrongPasswordFile = Path.Combine(fixture.WorkDirectory, $"wrong-{Guid.NewGuid():N}.secret");
        await File.WriteAllTextAsync(wrongPasswordFile, _wrongSmtpPassword, TestContext.Current.CancellationToken);
        var connectionString = new NpgsqlConnectionStringBuilder(fixture.DatabaseConnectionString) { Username = _role, Password = _databasePassword }.ConnectionString;
        _worker = await WorkerProcess.StartAsync(fixture, "secrets-a", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            // Everything, not only what the worker's defaults let through.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:MassTransit"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Trace",
            // The third account's sender with a password the simulator refuses.
            ["Ses:Accounts:2:Senders:0:PasswordFile"] = wrongPasswordFile,
        });
        var sent = new[] { TestMessages.Email(), TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender) };
        var refused = TestMessages.Email(SesWorkerFixture.ThirdAppId, SesWorkerFixture.ThirdSender);
        await fixture.PublishRawAsync([.. sent, refused]);

        var rows = await fixture.WaitForTerminalAsync([.. sent.Select(c => c.EmailId), refused.EmailId], TimeSpan.FromSeconds(60));
        // A clean stop flushes everything the process logged, the shutdown's own lines included.
        await _worker.StopAsync(TimeSpan.FromSeconds(30));

        Assert.All(rows.Where(r => r.EmailId != refused.EmailId), r => Assert.Equal(EmailStatus.Sent, r.Status));
        var failed = Assert.Single(rows, r => r.EmailId == refused.EmailId);
        Assert.Equal(EmailStatus.Failed, failed.Status);
        Assert.Equal(ErrorCodes.AuthenticationFailed, failed.FailureCode);
        var log = await File.ReadAllTextAsync(_worker.LogPath, TestContext.Current.CancellationToken);
        var database = await DumpDatabaseAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"searched {log.Length:N0} characters of log and {database.Length:N0} of table rows; the refusal: {failed.FailureCode} {failed.FailureMessage}");
        // Proof that there was something to search: MassTransit's chatter, the sends, the refusal.
        Assert.Contains("dbug: MassTransit", log, StringComparison.Ordinal);
        Assert.Contains("trce: SesWorker", log, StringComparison.Ordinal);
        Assert.Contains(refused.EmailId.ToString(), log, StringComparison.Ordinal);
        // Nor the messages themselves (the style's rule: ids in logs, never bodies).
        foreach (var command in sent)
        {
            Assert.DoesNotContain(command.Subject!, log, StringComparison.Ordinal);
            Assert.DoesNotContain(command.Text!, log, StringComparison.Ordinal);
        }

        foreach (var (name, secret) in Secrets())
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"the worker's log holds {name}");
            Assert.False(database.Contains(secret, StringComparison.Ordinal), $"the database holds {name}");
        }
    }

    /// <summary>Each secret the worker was given, as it is and as SMTP AUTH carries it (base64, PLAIN and LOGIN).</summary>
    private IEnumerable<(string Name, string Secret)> Secrets()
    {
        var smtp = new (string Sender, string Password)[]
        {
            (SesWorkerFixture.Sender, "sender-password"),
            (SesWorkerFixture.SecondSender, "second-password"),
            (SesWorkerFixture.ThirdSender, _wrongSmtpPassword),
        };
        foreach (var (sender, password) in smtp)
        {
            yield return ($"{sender}'s SMTP password", password);
            yield return ($"{sender}'s SMTP password in base64 (AUTH LOGIN)", Convert.ToBase64String(Encoding.UTF8.GetBytes(password)));
            yield return ($"{sender}'s AUTH PLAIN response", Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{sender}\0{password}")));
        }

        yield return ("the database password", _databasePassword);
        // RabbitMQ's test user is guest/guest, so only the URI form of its password can be told apart from its name.
        yield return ("RabbitMQ's password in a URI", ":guest@");
    }

    /// <summary>Every row of every table of the test database, as text.</summary>
    private async Task<string> DumpDatabaseAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                tables.Add(reader.GetString(0));
        }

        var dump = new StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new NpgsqlCommand($"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t", connection);
            dump.AppendLine(table).AppendLine((string)(await rows.ExecuteScalarAsync())!);
        }

        Assert.Contains("email_messages", dump.ToString(), StringComparison.Ordinal);
        return dump.ToString();
    }
}
