using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using Npgsql;
using RabbitMQ.Client;

namespace SesWorker.ContainerTests.Infrastructure;

/// <summary>
/// The whole system as docker-compose.yml runs it, on the project's private Docker engine (infra/images.sh starts it
/// and makes the stand-in base images): the project's images built from the Dockerfile with Testcontainers, the stack
/// up with its three worker replicas, torn down (volumes too) at the end.
/// There is no fallback: if the engine cannot be started or the images cannot be built, every test here fails and
/// says why.
/// </summary>
public sealed class ComposeFixture : IAsyncLifetime
{
    public const string Project = "sesworker-ct";
    public static readonly string[] AppIds = ["1001", "1002", "1003"];
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    public string RepoRoot { get; } = FindRepoRoot();

    public TimeSpan ImageBuildTime { get; private set; }

    public TimeSpan ComposeUpToReady { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var images = Path.Combine(RepoRoot, "infra", "images.sh");
        var started = Stopwatch.StartNew();
        var (code, output) = await Shell.TryRunAsync(images, ["base"], timeout: TimeSpan.FromMinutes(45), workingDirectory: RepoRoot);
        if (code != 0)
            throw new InvalidOperationException($"infra/images.sh base failed (exit {code}): the private Docker engine or the base images could not be made, so the container tests cannot run.{Environment.NewLine}{output}");
        Figures.Add($"engine and base images (infra/images.sh base): {started.Elapsed.TotalSeconds:F0} s");
        Figures.Add(output.Trim());

        foreach (var line in (await Shell.RunAsync(images, ["env"], workingDirectory: RepoRoot)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var assignment = line.StartsWith("export ", StringComparison.Ordinal) ? line[7..] : line;
            var eq = assignment.IndexOf('=', StringComparison.Ordinal);
            _environment[assignment[..eq]] = assignment[(eq + 1)..].Trim('\'', '"');
            // Testcontainers reads its engine (DOCKER_HOST), API version and Ryuk switch from the environment.
            Environment.SetEnvironmentVariable(assignment[..eq], _environment[assignment[..eq]]);
        }

        started.Restart();
        foreach (var target in new[] { "worker", "simulator", "migrator" })
            await BuildImageAsync(target);
        ImageBuildTime = started.Elapsed;
        Figures.Add($"project images (Testcontainers, from the Dockerfile): {ImageBuildTime.TotalSeconds:F0} s");

        _environment["COMPOSE_PROJECT_NAME"] = Project;
        // Published ports on ephemeral host ports: the tests reach the containers on their bridge, and a fixed
        // port could collide with another checkout's services on this machine.
        _environment["SESWORKER_AMQP_PORT"] = "0";
        _environment["SESWORKER_RABBITMQ_UI_PORT"] = "0";
        _environment["SESWORKER_PG_COMPOSE_PORT"] = "0";

        await ComposeAsync(TimeSpan.FromMinutes(2), "down", "-v", "--remove-orphans");
        started.Restart();
        await ComposeAsync(TimeSpan.FromMinutes(5), "up", "-d", "--no-build");
        await WaitAsync(async () => (await ReadyWorkersAsync()).Count == 3, TimeSpan.FromMinutes(3), "three ready workers after compose up");
        ComposeUpToReady = started.Elapsed;
        Figures.Add($"compose up to 3 ready workers: {ComposeUpToReady.TotalSeconds:F1} s");
    }

    /// <summary>
    /// Builds one target of the Dockerfile with Testcontainers, under the tag docker-compose.yml names. The build runs on
    /// the host's network (this engine gives bridges no route out, and the build stage restores from NuGet), and keeps
    /// the previous image until the new one is tagged, so its layers stay the build cache.
    /// </summary>
    private async Task BuildImageAsync(string target)
    {
        var clock = Stopwatch.StartNew();
        var name = $"sesworker/{target}:local";
        var image = new ImageFromDockerfileBuilder()
            .WithName(name)
            .WithContextDirectory(RepoRoot)
            .WithDockerfileDirectory(RepoRoot)
            .WithDockerfile("Dockerfile")
            .WithTarget(target)
            .WithDeleteIfExists(false)
            .WithCleanUp(false)
            .WithCreateParameterModifier(parameters => parameters.NetworkMode = "host")
            .Build();
        await image.CreateAsync();
        var size = long.Parse((await DockerAsync("image", "inspect", "-f", "{{.Size}}", name)).Trim(), CultureInfo.InvariantCulture);
        Figures.Add($"built {name} in {clock.Elapsed.TotalSeconds:F0} s ({size / 1e6:F0} MB)");
    }

    public async ValueTask DisposeAsync()
    {
        var directory = Path.Combine(RepoRoot, ".tmp", "container-test");
        Directory.CreateDirectory(directory);
        await File.WriteAllLinesAsync(Path.Combine(directory, "figures.txt"), Figures);
        if (Environment.GetEnvironmentVariable("SESWORKER_KEEP_STACK") != "1")
        {
            try
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "compose.log"), await ComposeAsync(TimeSpan.FromMinutes(1), "logs", "--no-color", "--tail", "300"));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "compose.log"), e.Message);
            }

            await ComposeAsync(TimeSpan.FromMinutes(2), "down", "-v", "--remove-orphans");
        }
    }

    /// <summary>Lines for the report (.tmp/container-test/figures.txt): sizes, times, counts.</summary>
    public List<string> Figures { get; } = [];

    public Task<string> ComposeAsync(TimeSpan timeout, params string[] args) =>
        Shell.RunAsync("docker-compose", ["-f", Path.Combine(RepoRoot, "docker-compose.yml"), "-p", Project, .. args], _environment, timeout, workingDirectory: RepoRoot);

    public Task<string> DockerAsync(params string[] args) => Shell.RunAsync(DockerCli, args, _environment, TimeSpan.FromMinutes(2));

    private static string DockerCli => File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    /// <summary>Running containers of one service.</summary>
    public async Task<IReadOnlyList<string>> ContainersAsync(string service)
    {
        var output = await DockerAsync("ps", "-q", "--filter", $"label=com.docker.compose.project={Project}", "--filter", $"label=com.docker.compose.service={service}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<string> AddressAsync(string container) =>
        (await DockerAsync("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container)).Trim();

    private async Task<string> ServiceAddressAsync(string service)
    {
        var containers = await ContainersAsync(service);
        return containers.Count > 0 ? await AddressAsync(containers[0]) : throw new InvalidOperationException($"{service} is not running");
    }

    public async Task<HttpStatusCode?> HealthAsync(string container, string path)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"http://{await AddressAsync(container)}:8080{path}"));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<string>> ReadyWorkersAsync()
    {
        var ready = new List<string>();
        foreach (var container in await ContainersAsync("worker"))
        {
            if (await HealthAsync(container, "/health/ready") == HttpStatusCode.OK)
                ready.Add(container);
        }

        return ready;
    }

    public async Task<string> MetricsAsync(string container) =>
        await Http.GetStringAsync(new Uri($"http://{await AddressAsync(container)}:8080/metrics"));

    public async Task<NpgsqlConnection> OpenDatabaseAsync()
    {
        var connection = new NpgsqlConnection($"Host={await ServiceAddressAsync("postgres")};Database=sesworker;Username=postgres;Password=postgres;Timeout=15;Command Timeout=30");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Publishes plain JSON, as a producer in any language would, to the exchange `send-email`.</summary>
    public async Task PublishAsync(IReadOnlyList<TestEmail> emails)
    {
        var factory = new ConnectionFactory { Uri = new Uri($"amqp://guest:guest@{await ServiceAddressAsync("rabbitmq")}:5672/") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
        // A hundred confirms awaited together, not one at a time: one by one, 600 took 15 s, longer than two replicas
        // take to send them, so the SIGTERM test found no backlog left to stop under.
        foreach (var chunk in emails.Chunk(100))
            await Task.WhenAll(chunk.Select(email => PublishOneAsync(channel, properties, email)));
    }

    private static async Task PublishOneAsync(IChannel channel, BasicProperties properties, TestEmail email)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            emailId = email.EmailId,
            appId = email.AppId,
            from = new { address = $"noreply@app{email.AppId[^1]}.example.com" },
            to = new[] { new { address = $"user-{email.EmailId:N}@example.org" } },
            subject = "Container test",
            text = "Hello from the container test.",
        });
        await channel.BasicPublishAsync("send-email", string.Empty, true, properties, body);
    }

    public static IReadOnlyList<TestEmail> NewEmails(int perAppId) =>
        [.. Enumerable.Range(0, perAppId).SelectMany(_ => AppIds.Select(appId => new TestEmail(Guid.NewGuid(), appId)))];

    /// <summary>Status of each of the given emails that has a row.</summary>
    public async Task<Dictionary<Guid, string>> StatusesAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("select email_id, status from email_messages where email_id = any($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        var statuses = new Dictionary<Guid, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            statuses[reader.GetGuid(0)] = reader.GetString(1);
        return statuses;
    }

    /// <summary>How many of the given emails are in each status, with the failure code: for the report and for assertions' messages.</summary>
    public async Task<string> OutcomesAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "select status, coalesce(failure_code, ''), count(*) from email_messages where email_id = any($1) group by 1, 2 order by 3 desc", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            parts.Add($"{reader.GetString(0)}{(reader.GetString(1) is { Length: > 0 } code ? $" ({code})" : "")} {reader.GetInt64(2)}");
        return string.Join(", ", parts);
    }

    /// <summary>Emails of <paramref name="emailIds"/> that a worker (by its id's prefix, the container's host name) holds claimed now.</summary>
    public async Task<HashSet<Guid>> ClaimedByAsync(string workerPrefix, IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "select email_id from email_messages where email_id = any($1) and status = 'sending' and worker_id like $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = workerPrefix + "-%" });
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>When each of the given emails was completed (its terminal row written).</summary>
    public async Task<Dictionary<Guid, DateTimeOffset>> CompletedAtAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand("select email_id, completed_at from email_messages where email_id = any($1) and completed_at is not null", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        var completed = new Dictionary<Guid, DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            completed[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        return completed;
    }

    /// <summary>Emails of <paramref name="emailIds"/> with more than one attempt recorded `sent`: the database's own view of a double send.</summary>
    public async Task<List<Guid>> SentAttemptsTwiceAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "select email_id from send_attempts where email_id = any($1) and outcome = 'sent' group by email_id having count(*) > 1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>Emails whose history records an `unknown` attempt (a transaction that may have reached the provider), or that ended `unknown`.</summary>
    public async Task<HashSet<Guid>> RecordedUnknownAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "select email_id from send_attempts where email_id = any($1) and outcome = 'unknown' " +
            "union select email_id from email_messages where email_id = any($1) and status = 'unknown'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        var ids = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            ids.Add(reader.GetGuid(0));
        return ids;
    }

    /// <summary>Attempts of the given emails that the simulator refused for the rate (RequestLimitExceeded.SmtpRateLimit).</summary>
    public async Task<long> RateRefusalsAsync(IEnumerable<Guid> emailIds)
    {
        await using var connection = await OpenDatabaseAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from send_attempts where email_id = any($1) and provider_code like 'RequestLimitExceeded%'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = emailIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static readonly HashSet<string> TerminalStatuses = new(StringComparer.Ordinal) { "sent", "failed", "dead_lettered", "unknown" };

    public async Task<Dictionary<Guid, string>> WaitForTerminalAsync(IReadOnlyList<TestEmail> emails, TimeSpan timeout)
    {
        var ids = emails.Select(e => e.EmailId).ToList();
        Dictionary<Guid, string> statuses = [];
        await WaitAsync(async () =>
        {
            try
            {
                statuses = await StatusesAsync(ids);
            }
            catch (NpgsqlException)
            {
                return false;
            }

            return statuses.Count == ids.Count && statuses.Values.All(TerminalStatuses.Contains);
        }, timeout, () => $"all {ids.Count} emails terminal; now {string.Join(", ", statuses.Values.GroupBy(s => s).Select(g => $"{g.Key} {g.Count()}"))}, {ids.Count - statuses.Count} without a row");
        return statuses;
    }

    /// <summary>What the simulator accepted, from its record directory (a named volume), copied out of the container.</summary>
    public async Task<IReadOnlyList<AcceptedMessage>> AcceptedAsync()
    {
        var simulator = (await ContainersAsync("simulator")).Single();
        var directory = Path.Combine(RepoRoot, ".tmp", "container-test", "mail");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
        await DockerAsync("cp", $"{simulator}:/var/lib/simulator/mail", directory);
        var accepted = new List<AcceptedMessage>();
        foreach (var json in Directory.GetFiles(directory, "*.json"))
        {
            using var envelope = JsonDocument.Parse(await File.ReadAllTextAsync(json));
            var messageId = (await File.ReadAllLinesAsync(Path.ChangeExtension(json, ".eml"), Encoding.ASCII))
                .TakeWhile(l => l.Length > 0)
                .First(l => l.StartsWith("Message-ID:", StringComparison.OrdinalIgnoreCase))[11..].Trim().Trim('<', '>');
            var emailId = Guid.TryParseExact(messageId.Split('@')[0], "N", out var id) ? id : Guid.Empty;
            accepted.Add(new AcceptedMessage(emailId, envelope.RootElement.GetProperty("AppId").GetString()!,
                envelope.RootElement.GetProperty("ReceivedAt").GetDateTimeOffset()));
        }

        return accepted;
    }

    /// <summary>The most messages of one appId the simulator accepted within any one second.</summary>
    public static Dictionary<string, int> MostPerSecond(IEnumerable<AcceptedMessage> accepted) =>
        accepted.GroupBy(m => m.AppId).ToDictionary(g => g.Key, g =>
        {
            var times = g.Select(m => m.ReceivedAt).Order().ToList();
            var most = 0;
            for (int i = 0, j = 0; j < times.Count; j++)
            {
                while (times[j] - times[i] >= TimeSpan.FromSeconds(1))
                    i++;
                most = Math.Max(most, j - i + 1);
            }

            return most;
        });

    /// <summary>Sum over the running workers of one Prometheus counter's samples whose labels contain all of <paramref name="labels"/>.</summary>
    public async Task<double> SumCounterAsync(string metric, params string[] labels)
    {
        double sum = 0;
        foreach (var container in await ContainersAsync("worker"))
        {
            foreach (var line in (await MetricsAsync(container)).Split('\n'))
            {
                if (!line.StartsWith(metric + "{", StringComparison.Ordinal) || !labels.All(l => line.Contains(l, StringComparison.Ordinal)))
                    continue;
                sum += double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public static Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) => WaitAsync(condition, timeout, () => what);

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"waited {timeout.TotalSeconds:F0} s for {what()}");
            // Once a second: every readiness poll runs each worker's PostgreSQL check, and the stack shares 2 cores.
            await Task.Delay(1000);
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docker-compose.yml")) && File.Exists(Path.Combine(dir.FullName, "SesWorker.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}

public sealed record TestEmail(Guid EmailId, string AppId);

public sealed record AcceptedMessage(Guid EmailId, string AppId, DateTimeOffset ReceivedAt);
