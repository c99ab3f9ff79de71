using System.Diagnostics;
using System.Text;

namespace SesWorker.ContainerTests.Infrastructure;

/// <summary>Runs a command to completion with a time bound; a non-zero exit is a failure that shows the output.</summary>
internal static class Shell
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null, bool check = true, string? workingDirectory = null)
    {
        var (code, output) = await TryRunAsync(file, args, environment, timeout, workingDirectory);
        if (check && code != 0)
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` exited {code}:{Environment.NewLine}{Tail(output, 6000)}");
        return output;
    }

    public static async Task<(int ExitCode, string Output)> TryRunAsync(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{file} {string.Join(' ', start.ArgumentList)}` did not finish within {timeout}:{Environment.NewLine}{Tail(output.ToString(), 6000)}");
        }

        lock (gate)
            return (process.ExitCode, output.ToString());
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];
}
