using SesWorker.Benchmarks;

if (!BenchSettings.TryParse(args, out var settings, out var error))
{
    if (error != "help")
        await Console.Error.WriteLineAsync($"bench: {error}");
    await Console.Error.WriteLineAsync(BenchSettings.Usage);
    return error == "help" ? 0 : 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    var paths = BenchPaths.Find();
    var run = new BenchmarkRun(settings, paths);
    var result = await run.RunAsync(cancellation.Token);
    ReportPrinter.Print(result, Console.Out);
    Console.WriteLine();
    Console.WriteLine($"result {ResultFile.Write(result, paths.ResultsDirectory)}; worker logs {run.LogDirectory}");
    return !result.Completed ? 1 : result.TargetsMet ? 0 : 3;
}
catch (BenchmarkException e)
{
    await Console.Error.WriteLineAsync($"bench: {e.Message}");
    return 1;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("bench: cancelled");
    return 130;
}
