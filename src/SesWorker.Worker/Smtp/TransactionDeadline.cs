using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SesWorker.Worker.Smtp;

/// <summary>
/// When the process may cut an SMTP transaction short: only when its stop has run as long as MassTransit gives consumers
/// (<see cref="MassTransitHostOptions.ConsumerStopTimeout"/>), so that a transaction a hung provider holds ends recorded
/// <c>unknown</c> by this process instead of with the process killed at its hard bound. Nothing else cancels one: not a
/// message's consume token, which MassTransit cancels at once for every consume when the broker's connection drops, and
/// a transaction cut there left the provider holding a message nobody recorded (sent again when redelivered).
/// </summary>
public sealed class TransactionDeadline : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationTokenRegistration _stopping;

    public TransactionDeadline(IHostApplicationLifetime lifetime, IOptions<MassTransitHostOptions> options)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(options);
        var grace = options.Value.ConsumerStopTimeout ?? options.Value.StopTimeout ?? TimeSpan.Zero;
        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                _source.CancelAfter(grace);
            }
            catch (ObjectDisposedException)
            {
                // Stopping after disposal: nothing left to cut.
            }
        });
    }

    /// <summary>Cancelled once the process's stop has run out the consumers' grace.</summary>
    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        _source.Dispose();
    }
}
