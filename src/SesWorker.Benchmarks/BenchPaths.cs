namespace SesWorker.Benchmarks;

/// <summary>Where the Release builds and the results live, found from the repository root.</summary>
internal sealed record BenchPaths(string RepoRoot)
{
    /// <summary>The Release build, or SESWORKER_BENCH_WORKER_DIR: another build of the worker (say, the one before a change) against the same benchmark.</summary>
    public string WorkerDirectory => Environment.GetEnvironmentVariable("SESWORKER_BENCH_WORKER_DIR") is { Length: > 0 } other
        ? other
        : Path.Combine(RepoRoot, "src", "SesWorker.Worker", "bin", "Release", "net10.0");

    public string CliDll => Path.Combine(RepoRoot, "src", "SesWorker.Cli", "bin", "Release", "net10.0", "SesWorker.Cli.dll");

    public string ResultsDirectory => Path.Combine(RepoRoot, ".tmp", "bench");

    /// <summary>Walks up from the benchmark's own binaries (then the working directory) to the folder holding SesWorker.sln.</summary>
    public static BenchPaths Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SesWorker.sln")))
                    return new BenchPaths(dir.FullName);
            }
        }

        throw new BenchmarkException("cannot find the repository root (SesWorker.sln) above the benchmark or the working directory");
    }
}
