using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;
using SesWorker.Messaging;
using SesWorker.Persistence;
using SesWorker.SmtpSimulator;
using SesWorker.Worker.DeadLettering;
using SesWorker.Worker.Hosting;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>
/// Boots the real thing once per test collection: PostgreSQL with the real migrations in a fresh database,
/// RabbitMQ, the SMTP simulator over implicit TLS, and worker hosts built by the same AddSesWorker the
/// worker's Program.cs calls. Each test starts from empty tables, empty queues and a reset simulator.
/// </summary>
public sealed class SesWorkerFixture : IAsyncLifetime
{
    public const string AppId = "1000";
    public const string SecondAppId = "2000";
    public const string Sender = "noreply@example.com";
    public const string SecondSender = "alerts@example.net";
    public const string ThirdAppId = "3000";
    public const string ThirdSender = "news@example.org";
    public const string QueueName = "send-email";

    /// <summary>The README's producer examples use a real-looking Tencent appId; its sender is <see cref="Sender"/>.</summary>
    public const string ExampleAppId = "1250000000";

    /// <summary>
    /// The correctness tests (exactly once, rows, failures) run the limiter with a wider margin than the default 5%:
    /// the in-process simulator shares two cores with up to three in-process workers, and the moments it counts at
    /// jitter by tens of ms. The limiter's own precision is tested at the default margin (RateLimitTests,
    /// RealConditionsTests, PostgresLimiterTests).
    /// </summary>
    public const double TestSafetyMargin = 0.15;

    /// <summary>The delay queues deferred messages wait in, shortest first, named as the worker names them.</summary>
    public static readonly string[] DelayQueues = [.. DeadLetterOptions.DelayTiers.Select(new DeadLetterOptions().DelayQueueName)];

    /// <summary>The appIds the fixture's workers have an account for (each with the one sender <see cref="SenderOf"/> names).</summary>
    public static readonly string[] AppIds = [AppId, SecondAppId, ThirdAppId, ExampleAppId];

    private static readonly string[] Queues =
    [
        QueueName, .. AppIds.Select(app => $"{QueueName}-app-{app}"), "send-email-rate-limited", "send-email-rate-limited-parked", "send-email-oversize", "send-email_error",
        QueueNames.HeldQueue(QueueName), QueueNames.HeldWaitQueue(QueueName), .. DelayQueues, $"{QueueName}-app-{AppId}_error",
    ];

    private readonly List<IHost> _workers = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"sesworker-it-{Guid.NewGuid():N}");
    private ExternalServices? _services;

    public SmtpSimulatorServer Simulator { get; private set; } = null!;

    /// <summary>
    /// The simulator's options: a test may change its reply latency (read at every reply) or its DATA rate
    /// (<c>DataBytesPerSecond</c>, read when a message's content starts); reset before each test.
    /// </summary>
    public SimulatorOptions SimulatorOptions { get; private set; } = null!;

    public string DatabaseConnectionString { get; private set; } = string.Empty;

    public string RabbitMqUri => _services!.RabbitMqUri;

    public IHost Worker => _workers[0];

    public IReadOnlyList<IHost> Workers => _workers;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _services = await ExternalServices.StartAsync();

        var database = $"sesworker_it_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(_services.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        DatabaseConnectionString = new NpgsqlConnectionStringBuilder(_services.PostgresAdmin) { Database = database }.ConnectionString;
        await using (var db = CreateDbContext())
            await db.Database.MigrateAsync();

        var options = new SimulatorOptions();
        options.Accounts.Add(new SimulatorAccount { AppId = AppId, Username = Sender, Password = "sender-password" });
        options.Accounts.Add(new SimulatorAccount { AppId = SecondAppId, Username = SecondSender, Password = "second-password" });
        options.Accounts.Add(new SimulatorAccount { AppId = ThirdAppId, Username = ThirdSender, Password = "third-password" });
        SimulatorOptions = options;
        Simulator = await SmtpSimulatorServer.StartAsync(options);
        await File.WriteAllTextAsync(CertificateFile, Simulator.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_directory, "sender.secret"), "sender-password\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "second.secret"), "second-password");
        await File.WriteAllTextAsync(Path.Combine(_directory, "third.secret"), "third-password");

        await StartWorkerAsync("worker-a");
    }

    public string CertificateFile => Path.Combine(_directory, "simulator.pem");

    public SesWorkerDbContext CreateDbContext()
    {
        var builder = new DbContextOptionsBuilder<SesWorkerDbContext>();
        SesWorkerDbContext.Configure(builder, DatabaseConnectionString);
        return new SesWorkerDbContext(builder.Options);
    }

    public Dictionary<string, string?> WorkerConfiguration(string workerId) => new()
    {
        ["ConnectionStrings:Postgres"] = DatabaseConnectionString,
        ["ConnectionStrings:RabbitMq"] = RabbitMqUri,
        ["Worker:WorkerId"] = workerId,
        ["Worker:QueueName"] = QueueName,
        ["Worker:ConcurrentMessageLimit"] = "16",
        ["Worker:RetryBaseDelay"] = "00:00:00.200",
        ["Worker:RetryMaxDelay"] = "00:00:01",
        ["Worker:TakeoverAfter"] = "00:00:08",
        ["Ses:RateLimiting:SafetyMargin"] = TestSafetyMargin.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Worker:DeadLetter:RateLimitedDelay"] = "00:00:03",
        ["Ses:Accounts:0:AppId"] = AppId,
        ["Ses:Accounts:0:Host"] = "127.0.0.1",
        ["Ses:Accounts:0:Port"] = Simulator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ses:Accounts:0:Senders:0:Address"] = Sender,
        ["Ses:Accounts:0:Senders:0:PasswordFile"] = Path.Combine(_directory, "sender.secret"),
        ["Ses:Accounts:1:AppId"] = SecondAppId,
        ["Ses:Accounts:1:Host"] = "127.0.0.1",
        ["Ses:Accounts:1:Port"] = Simulator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ses:Accounts:1:Senders:0:Address"] = SecondSender,
        ["Ses:Accounts:1:Senders:0:PasswordFile"] = Path.Combine(_directory, "second.secret"),
        ["Ses:Accounts:2:AppId"] = ThirdAppId,
        ["Ses:Accounts:2:Host"] = "127.0.0.1",
        ["Ses:Accounts:2:Port"] = Simulator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ses:Accounts:2:Senders:0:Address"] = ThirdSender,
        ["Ses:Accounts:2:Senders:0:PasswordFile"] = Path.Combine(_directory, "third.secret"),
        ["Ses:Accounts:3:AppId"] = ExampleAppId,
        ["Ses:Accounts:3:Host"] = "127.0.0.1",
        ["Ses:Accounts:3:Port"] = Simulator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ses:Accounts:3:Senders:0:Address"] = Sender,
        ["Ses:Accounts:3:Senders:0:PasswordFile"] = Path.Combine(_directory, "sender.secret"),
        ["Ses:Smtp:TrustedCertificateFile"] = CertificateFile,
    };

    /// <summary>The sender configured for one of the fixture's appIds.</summary>
    public static string SenderOf(string appId) => appId switch
    {
        SecondAppId => SecondSender,
        ThirdAppId => ThirdSender,
        _ => Sender,
    };

    /// <summary>Stops every worker, then starts one with <paramref name="overrides"/>: a test's own configuration.</summary>
    public async Task<IHost> RestartWorkerAsync(string workerId, IDictionary<string, string?>? overrides = null)
    {
        foreach (var worker in Workers.ToList())
            await StopWorkerAsync(worker);
        return await StartWorkerAsync(workerId, overrides);
    }

    public async Task<IHost> StartWorkerAsync(string workerId, IDictionary<string, string?>? overrides = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        var configuration = WorkerConfiguration(workerId);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("SESWORKER_TEST_LOG"), out var level) ? level : LogLevel.Warning);
        builder.AddSesWorker();
        var host = builder.Build();
        // MassTransit keeps the first bus's logger factory in a static; a stopped host has disposed it.
        MassTransit.LogContext.Current = null;
        await host.StartAsync();
        _workers.Add(host);
        return host;
    }

    public async Task StopWorkerAsync(IHost host)
    {
        _workers.Remove(host);
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>Stops every in-process worker host: for tests whose workers are processes, or none.</summary>
    public async Task StopWorkersAsync()
    {
        while (_workers.Count > 0)
            await StopWorkerAsync(_workers[^1]);
    }

    public Task StopPostgresAsync() => _services!.StopPostgresAsync();

    public Task StartPostgresAsync() => _services!.StartPostgresAsync();

    public Task FreezePostgresAsync() => _services!.FreezePostgresAsync();

    public Task ThawPostgresAsync() => _services!.ThawPostgresAsync();

    public Task StopRabbitMqAsync() => _services!.StopRabbitMqAsync();

    public Task StartRabbitMqAsync() => _services!.StartRabbitMqAsync();

    public string WorkDirectory => _directory;

    /// <summary>Publishes through MassTransit, as a .NET producer would.</summary>
    public Task PublishAsync<T>(T message) where T : class => Worker.Services.GetRequiredService<IBus>().Publish(message);

    public async Task<IConnection> ConnectRabbitMqAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(RabbitMqUri) };
        return await factory.CreateConnectionAsync("sesworker-tests");
    }

    /// <summary>Empty tables, empty queues, a fresh simulator, one fresh worker running.</summary>
    public async Task ResetAsync()
    {
        // Every worker is stopped first: a previous test's messages still held in a worker's retry (a duplicate
        // waiting out a claim, say) go back to the queue on stop and are purged below, instead of surfacing in the
        // next test. A fresh worker also forgets in-memory state (pauses, pooled connections).
        await StopWorkersAsync();

        await using (var connection = new NpgsqlConnection(DatabaseConnectionString))
        {
            await connection.OpenAsync();
            await using var truncate = new NpgsqlCommand("TRUNCATE send_attempts, email_messages, rate_limits, recipient_windows, app_pauses, workers", connection);
            await truncate.ExecuteNonQueryAsync();
        }

        await using var rabbit = await ConnectRabbitMqAsync();
        foreach (var queue in Queues)
        {
            await using var channel = await rabbit.CreateChannelAsync();
            try
            {
                await channel.QueuePurgeAsync(queue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared yet (no fault so far): nothing to purge.
            }
        }

        SimulatorOptions.Latency.Default = SesWorker.SmtpSimulator.Latency.ReplyLatency.None;
        SimulatorOptions.Latency.PerReply.Clear();
        SimulatorOptions.Latency.HoldEveryNthEndOfData = 0;
        SimulatorOptions.Latency.HoldFor = TimeSpan.Zero;
        SimulatorOptions.DataBytesPerSecond = 0;
        Simulator.Reset();
        await StartWorkerAsync("worker-a");
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkersAsync();
        if (Simulator is not null)
            await Simulator.DisposeAsync();
        if (_services is not null)
            await _services.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
