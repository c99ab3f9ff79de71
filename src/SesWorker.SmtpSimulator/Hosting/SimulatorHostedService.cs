using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SesWorker.SmtpSimulator.Hosting;

/// <summary>Runs the simulator for the console entry point until the host stops (SIGINT/SIGTERM).</summary>
internal sealed class SimulatorHostedService(SimulatorCommandLine commandLine, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private SmtpSimulatorServer? server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        server = await SmtpSimulatorServer.StartAsync(commandLine.Options, loggerFactory, cancellationToken);
        if (commandLine.CertificateOut is { } path)
        {
            // Clients (the worker, docker compose) trust exactly this certificate; written whole or not at all so a
            // client polling for the file never reads half of it.
            await File.WriteAllTextAsync(path + ".tmp", server.ExportCertificatePem(), cancellationToken);
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
            server = null;
        }
    }
}
