using System.Diagnostics;
using System.Globalization;

namespace SesWorker.IntegrationTests.Infrastructure;

internal static class Processes
{
    /// <summary>
    /// SIGTERM, the clean stop a container orchestrator asks for, then wait; SIGKILL (the whole tree) if the process has
    /// not exited within <paramref name="timeout"/>.
    /// </summary>
    public static async Task TerminateAsync(this Process process, TimeSpan timeout)
    {
        if (process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            await term.WaitForExitAsync();
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
