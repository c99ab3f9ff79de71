using System.Diagnostics;
using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>
/// One worker replica as a separate process (<c>dotnet SesWorker.Worker.dll</c>), configured through the environment
/// like a deployment. Its output goes to a log file; its memory and CPU are sampled from /proc.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly Lock gate = new();
    private readonly List<string> tail = [];
    private readonly Dictionary<int, double> jitThreads = [];
    private string? metricsLine;
    private long maxRssKiB;
    private double cpuMs;
    private bool closed;

    private WorkerProcess(string id, Process process, StreamWriter log)
    {
        Id = id;
        this.process = process;
        this.log = log;
    }

    public string Id { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Killed on purpose by the run (the crash scenario), so its exit is not a failure.</summary>
    public bool Killed { get; private set; }

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    public double MaxRssMiB
    {
        get
        {
            lock (gate)
                return maxRssKiB / 1024.0;
        }
    }

    /// <summary>utime + stime at the last sample.</summary>
    public double CpuMs
    {
        get
        {
            lock (gate)
                return cpuMs;
        }
    }

    /// <summary>
    /// CPU of the JIT's tiering threads so far, as sampled (a lower bound of the JIT's cost: first compilations run on
    /// the calling threads, and up to one sample interval of an exiting thread is missed).
    /// </summary>
    public double JitCpuMs
    {
        get
        {
            lock (gate)
                return jitThreads.Values.Sum();
        }
    }

    public static WorkerProcess Start(string id, string workerDirectory, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        // infra/bench.sh raises this process (the simulator's) above the workers: each worker starts back at nice 0,
        // through nice(1), so that every one of its threads has that priority from the start.
        var raisedBy = -OwnNiceness();
        var start = new ProcessStartInfo(raisedBy > 0 ? "nice" : "dotnet")
        {
            // The content root is the working directory: the worker finds its appsettings.json there, as in a container.
            WorkingDirectory = workerDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (raisedBy > 0)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(raisedBy.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(Path.Combine(workerDirectory, "SesWorker.Worker.dll"));
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(id, process, log);
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
        if (!process.Start())
            throw new BenchmarkException($"could not start worker {id}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>This process's nice value (the 19th field of /proc/self/stat, after the command's closing parenthesis).</summary>
    private static int OwnNiceness()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads VmHWM (the kernel's own peak RSS, so a peak between two samples is not missed) and utime + stime; a
    /// process that has gone keeps its last figures.
    /// </summary>
    public void Sample()
    {
        string? rss;
        try
        {
            rss = File.ReadLines($"/proc/{Pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        var cpu = ProcStat.CpuMs(Pid);
        var jit = ProcStat.TieredCompilationThreads(Pid);
        lock (gate)
        {
            foreach (var (tid, threadCpuMs) in jit)
                jitThreads[tid] = threadCpuMs;
            if (rss is not null)
                maxRssKiB = Math.Max(maxRssKiB, long.Parse(rss.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
            if (cpu is { } value)
                cpuMs = value;
        }
    }

    /// <summary>SIGKILL, as a machine or an OOM killer would: no drain, no acks, no outcome written.</summary>
    public void Kill()
    {
        Killed = true;
        process.Kill(entireProcessTree: false);
    }

    /// <summary>SIGTERM (what an orchestrator sends), then waits for the graceful stop and its metrics line.</summary>
    public async Task<WorkerMetrics?> StopAsync(TimeSpan timeout)
    {
        if (!process.HasExited)
        {
            // Process.Kill sends SIGKILL; the host only drains and logs its summary on SIGTERM.
            using var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // Not fatal: a worker stuck behind a backlog (a scenario that stops early) must not cost the run its figures.
            process.Kill(entireProcessTree: true);
            BenchLog.Write($"worker {Id} did not stop within {timeout.TotalSeconds:F0}s of SIGTERM; killed (no metrics line)");
            return null;
        }

        lock (gate)
            return metricsLine is null ? null : WorkerMetrics.Parse(metricsLine);
    }

    public string Tail()
    {
        lock (gate)
            return string.Join('\n', tail);
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        process.Dispose();
        lock (gate)
        {
            closed = true;
            log.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (gate)
        {
            if (closed)
                return;
            log.WriteLine(line);
            if (line.Contains(WorkerMetrics.Marker, StringComparison.Ordinal))
                metricsLine = line;
            tail.Add(line);
            if (tail.Count > 40)
                tail.RemoveAt(0);
        }
    }
}
