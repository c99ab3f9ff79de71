using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>
/// Real PostgreSQL and RabbitMQ: from SESWORKER_TEST_POSTGRES / SESWORKER_TEST_RABBITMQ (what infra/test.sh
/// starts), else from Testcontainers when a Docker engine is there. Never a fake: without either, tests fail.
/// </summary>
internal sealed class ExternalServices : IAsyncDisposable
{
    public const string PostgresVariable = "SESWORKER_TEST_POSTGRES";
    public const string RabbitMqVariable = "SESWORKER_TEST_RABBITMQ";
    public const string PostgresControlVariable = "SESWORKER_TEST_POSTGRES_CONTROL";

    private PostgreSqlContainer? _postgres;
    private RabbitMqContainer? _rabbitMq;

    public string PostgresAdmin { get; private set; } = string.Empty;

    public string RabbitMqUri { get; private set; } = string.Empty;

    public static async Task<ExternalServices> StartAsync()
    {
        var services = new ExternalServices();
        var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
        var rabbit = Environment.GetEnvironmentVariable(RabbitMqVariable);
        try
        {
            if (string.IsNullOrEmpty(postgres))
            {
                // A fixed host port, so the connection string still holds after the outage test restarts the container.
                services._postgres = new PostgreSqlBuilder("postgres:16-alpine").WithPortBinding(FreePort(), 5432).Build();
                await services._postgres.StartAsync();
                postgres = services._postgres.GetConnectionString();
            }

            if (string.IsNullOrEmpty(rabbit))
            {
                services._rabbitMq = new RabbitMqBuilder("rabbitmq:3.13-management-alpine").Build();
                await services._rabbitMq.StartAsync();
                rabbit = services._rabbitMq.GetConnectionString();
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await services.DisposeAsync();
            throw new InvalidOperationException(
                $"Integration tests need PostgreSQL and RabbitMQ: run them through infra/test.sh (which starts both and sets {PostgresVariable} and {RabbitMqVariable}), or run a Docker engine for Testcontainers. {exception.Message}",
                exception);
        }

        services.PostgresAdmin = postgres;
        services.RabbitMqUri = rabbit;
        return services;
    }

    /// <summary>Stops PostgreSQL (the outage test): through infra/services.sh, or the container.</summary>
    public async Task StopPostgresAsync()
    {
        if (_postgres is not null)
            await _postgres.StopAsync();
        else
            await ControlAsync("pg-stop");
    }

    public async Task StartPostgresAsync()
    {
        if (_postgres is not null)
            await _postgres.StartAsync();
        else
            await ControlAsync("pg-start");
    }

    /// <summary>Freezes PostgreSQL (SIGSTOP: open connections hang, nothing answers), as a stalled server or VM would.</summary>
    public async Task FreezePostgresAsync()
    {
        if (_postgres is not null)
            await _postgres.PauseAsync();
        else
            await ControlAsync("pg-freeze");
    }

    public async Task ThawPostgresAsync()
    {
        if (_postgres is not null)
            await _postgres.UnpauseAsync();
        else
            await ControlAsync("pg-thaw");
    }

    /// <summary>
    /// Stops RabbitMQ's application (the broker restart test): its listeners close and every connection drops, as in a
    /// restart; the node, its queues and their messages stay.
    /// </summary>
    public async Task StopRabbitMqAsync()
    {
        if (_rabbitMq is not null)
            await ExecAsync(_rabbitMq, "stop_app");
        else
            await ControlAsync("rmq-stop");
    }

    public async Task StartRabbitMqAsync()
    {
        if (_rabbitMq is not null)
        {
            await ExecAsync(_rabbitMq, "start_app");
            await ExecAsync(_rabbitMq, "await_startup");
        }
        else
        {
            await ControlAsync("rmq-start");
        }
    }

    private static async Task ExecAsync(RabbitMqContainer container, string command)
    {
        var result = await container.ExecAsync(["rabbitmqctl", command]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {command} failed ({result.ExitCode}): {result.Stderr}");
    }

    private static async Task ControlAsync(string verb)
    {
        var script = Environment.GetEnvironmentVariable(PostgresControlVariable)
            ?? throw new InvalidOperationException($"{PostgresControlVariable} is not set: run the tests through infra/test.sh.");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(script, verb)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {verb} failed ({process.ExitCode}): {error}");
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
            await _postgres.DisposeAsync();
        if (_rabbitMq is not null)
            await _rabbitMq.DisposeAsync();
    }
}
