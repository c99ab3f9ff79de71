using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Makes <see cref="ObservabilityOptions.ShutdownTimeout"/> a bound on the whole stop, not only on the hosted services.
/// The host cancels its services' stop after the timeout but still waits for each of them, and nothing bounds what
/// comes after them (disposing the container: the bus, the connection pools, a consumer still recording an outcome).
/// A process still here <see cref="Grace"/> after the timeout ends itself with SIGKILL, as the orchestrator would a
/// little later: nothing is lost (unacknowledged messages go back to the queue, its claims are taken over once its
/// heartbeat has fallen silent), and the non-zero exit code says the stop overran.
/// </summary>
internal sealed partial class StopBound(IHostApplicationLifetime lifetime, IOptions<ObservabilityOptions> options, ILogger<StopBound> logger) : IHostedService
{
    /// <summary>Past the timeout: the host's own last steps (closing the listener, flushing logs) after a stop that kept to it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(Arm);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Arm()
    {
        var bound = options.Value.ShutdownTimeout + Grace;
        // A thread of its own, not a timer of the container: the container may be what hangs while it is disposed. A
        // background thread never keeps a process alive that has finished its stop.
        var watchdog = new Thread(() =>
        {
            Thread.Sleep(bound);
            Log.Overran(logger, bound);
            // Environment.Exit would run the host's exit handlers, which wait for the very stop that overran.
            Console.Error.WriteLine($"sesworker: the stop overran {bound}; ending the process");
            Process.GetCurrentProcess().Kill();
        })
        {
            IsBackground = true,
            Name = "sesworker-stop-bound",
        };
        watchdog.Start();
    }

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Critical, "The stop overran its bound of {Bound}: the process ends itself; unacknowledged messages return to the queue")]
        public static partial void Overran(ILogger logger, TimeSpan bound);
    }
}
