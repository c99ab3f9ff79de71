using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>The K worker processes of a run: started together, sampled together, stopped together.</summary>
internal sealed class WorkerFleet : IAsyncDisposable
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(200);

    private readonly List<WorkerProcess> workers = [];
    private readonly CancellationTokenSource sampling = new();
    private Task sampler = Task.CompletedTask;

    public IReadOnlyList<WorkerProcess> Workers => workers;

    /// <summary>
    /// Copies the Release build first: other people may rebuild the solution while a run is going, and a worker
    /// whose assemblies are overwritten under it crashes or measures a mix of two builds.
    /// </summary>
    public static string Snapshot(string releaseDirectory, string scratch)
    {
        if (!File.Exists(Path.Combine(releaseDirectory, "SesWorker.Worker.dll")))
            throw new BenchmarkException($"{releaseDirectory}/SesWorker.Worker.dll not found: build the solution in Release first");
        var target = Path.Combine(scratch, "worker");
        foreach (var file in Directory.EnumerateFiles(releaseDirectory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(releaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return target;
    }

    /// <summary>Starts the processes and samples their RSS and CPU in the background until <see cref="StopSamplingAsync"/>.</summary>
    public void Start(int count, string workerDirectory, IReadOnlyDictionary<string, string> environment, string logDirectory)
    {
        for (var k = 1; k <= count; k++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"bench-{k}");
            var own = new Dictionary<string, string>(environment, StringComparer.Ordinal) { ["Worker__WorkerId"] = id };
            workers.Add(WorkerProcess.Start(id, workerDirectory, own, Path.Combine(logDirectory, $"{id}.log")));
        }

        sampler = SampleUntilAsync(sampling.Token);
    }

    public void Sample()
    {
        foreach (var worker in workers)
            worker.Sample();
    }

    public async Task StopSamplingAsync()
    {
        await sampling.CancelAsync();
        await sampler;
    }

    private async Task SampleUntilAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
                Sample();
        }
        catch (OperationCanceledException)
        {
            // Stopped by the run.
        }
    }

    /// <summary>Throws with the worker's last output if one has exited while it should be running.</summary>
    public void EnsureRunning()
    {
        if (workers.FirstOrDefault(w => w.HasExited && !w.Killed) is { } dead)
            throw new BenchmarkException($"worker {dead.Id} exited early; its last output:\n{dead.Tail()}");
    }

    /// <summary>Waits until the queue has one consumer per worker (MassTransit consumes once its bus has started).</summary>
    public async Task WaitUntilConsumingAsync(BenchBroker broker, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                EnsureRunning();
                if (await broker.InspectAsync(deadline.Token) is { } queue && queue.Consumers >= workers.Count)
                    return;
                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BenchmarkException(
                $"the workers were not all consuming '{BenchBroker.Queue}' after {timeout.TotalSeconds:F0}s; last output of {workers[0].Id}:\n{workers[0].Tail()}");
        }
    }

    public async Task<IReadOnlyList<WorkerMetrics?>> StopAsync(TimeSpan timeout) =>
        await Task.WhenAll(workers.Select(w => w.StopAsync(timeout)));

    /// <summary>Kills whatever is still running (a failed or cancelled run).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopSamplingAsync();
        foreach (var worker in workers)
            worker.Dispose();
        sampling.Dispose();
    }
}
