using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Persistence.History;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.Hosting;

/// <summary>
/// Before the bus starts: composes and writes one message, so the first real sends do not pay for compiling MimeKit's
/// paths between their slot and the end of DATA (a cold send can reach the provider tens of ms late); and runs the claim
/// on a few pooled connections, rolled back, so the first claims under a backlog find their connections open and their
/// statements prepared (a cold worker's first claims took 1.3-1.6 s, README "Rate limits across replicas").
/// </summary>
public sealed partial class WarmUp(MimeComposer composer, EmailStore store, NpgsqlDataSource dataSource, IOptions<WorkerOptions> options,
    WorkerIdentity identity, ILogger<WarmUp> logger) : IHostedService
{
    /// <summary>Connections the claim is warmed on (at most the pool's size).</summary>
    internal const int Connections = 8;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var sample = new SendEmail
        {
            EmailId = Guid.NewGuid(),
            AppId = "0",
            From = new EmailAddress { Address = "warm-up@example.com" },
            To = [new EmailAddress { Address = "warm-up@example.com" }],
            Subject = "warm-up",
            Text = "warm-up",
            Html = "<p>warm-up</p>",
            Attachments = [new EmailAttachment { FileName = "a.txt", ContentType = "text/plain", Content = "YQ==" }],
        };
        var email = composer.Compose(sample);
        await email.Message.WriteToAsync(MimeComposer.WireFormat, Stream.Null, cancellationToken);

        // Only a head start: a database that does not answer now is waited for by the claims themselves, as ever.
        var worker = options.Value;
        var connections = Math.Min(Connections, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await store.WarmUpAsync(sample, connections, identity.Id, worker.TakeoverAfter, timeout.Token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested
            && exception is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            Log.Skipped(logger, exception.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(4010, LogLevel.Information, "The claim's warm-up on the database was skipped ({Reason}); the first claims open their connections themselves")]
        public static partial void Skipped(ILogger logger, string reason);
    }
}
