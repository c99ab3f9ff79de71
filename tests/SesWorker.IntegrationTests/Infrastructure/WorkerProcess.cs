using System.Diagnostics;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>
/// A worker replica as a process of its own (<c>dotnet SesWorker.Worker.dll</c>), configured through the environment
/// as a deployment is, so a test can kill it with SIGKILL. Its output goes to a log file next to the fixture's files.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private WorkerProcess(string workerId, Process process, StreamWriter log)
    {
        WorkerId = workerId;
        _process = process;
        _log = log;
    }

    /// <summary>The configured <c>Worker:WorkerId</c>: the prefix of the id the worker runs under, which adds a dash and 6 hex per start (<c>left(worker_id, -7)</c> in SQL).</summary>
    public string WorkerId { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once it has exited: 137 is SIGKILL (its own, when a stop overran its bound, or a test's).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string LogPath { get; private init; } = string.Empty;

    /// <summary>The most memory it has held so far (the kernel's <c>VmHWM</c>, resident set high-water mark), while it runs.</summary>
    public long PeakRssBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line["VmHWM:".Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    public static async Task<WorkerProcess> StartAsync(SesWorkerFixture fixture, string workerId, IDictionary<string, string?>? overrides = null)
    {
        var dll = Path.Combine(RepositoryRoot(), "src", "SesWorker.Worker", "bin", "Release", "net10.0", "SesWorker.Worker.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build the solution in Release first (infra/test.sh does).");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Test";
        start.Environment["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("SESWORKER_TEST_WORKER_LOG") ?? "Warning";
        var configuration = fixture.WorkerConfiguration(workerId);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            configuration[key] = value;
        foreach (var (key, value) in configuration)
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        // SESWORKER_TEST_WORKER_LOG_DIR keeps the logs after the run (the fixture's directory is deleted).
        var logPath = Path.Combine(Environment.GetEnvironmentVariable("SESWORKER_TEST_WORKER_LOG_DIR") ?? fixture.WorkDirectory, $"{workerId}.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        // The simulator is the provider's clock, and it shares this process and two cores with the workers: it goes
        // first, so what it counts is when the calls arrived, not when it got round to reading them.
        process.PriorityClass = ProcessPriorityClass.BelowNormal;
        var worker = new WorkerProcess(workerId, process, log) { LogPath = logPath };
        process.OutputDataReceived += (_, e) => worker.Write(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await worker.WaitUntilAliveAsync(fixture, TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>SIGKILL: no shutdown, no QUIT, no acknowledgement, as a crashed container.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM and wait: the clean stop a container orchestrator asks for.</summary>
    public Task StopAsync(TimeSpan timeout) => _process.TerminateAsync(timeout);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            await StopAsync(TimeSpan.FromSeconds(20));
        _process.Dispose();
        await _log.DisposeAsync();
    }

    public string Tail(int lines = 40)
    {
        lock (_log)
            _log.Flush();
        return string.Join('\n', File.ReadLines(LogPath).TakeLast(lines));
    }

    private void Write(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.WriteLine(line);
    }

    /// <summary>Alive means beating: its row in <c>workers</c> is written before it consumes anything.</summary>
    private async Task WaitUntilAliveAsync(SesWorkerFixture fixture, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"worker {WorkerId} exited with {_process.ExitCode}:\n{Tail()}");
            await using (var connection = new Npgsql.NpgsqlConnection(fixture.DatabaseConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM workers WHERE left(worker_id, -7) = $1", connection);
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = WorkerId });
                if ((long)(await command.ExecuteScalarAsync())! > 0)
                {
                    // The bus starts right after the first beat; give it a moment to bind its queues.
                    await Task.Delay(1500);
                    return;
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"worker {WorkerId} did not come up within {timeout}:\n{Tail()}");
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SesWorker.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("SesWorker.sln not found above the test binaries.");
    }
}
