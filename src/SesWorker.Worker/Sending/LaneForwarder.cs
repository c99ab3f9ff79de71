using System.Globalization;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SesWorker.Messaging;

namespace SesWorker.Worker.Sending;

/// <summary>
/// Moves a body from the intake to its lane with RabbitMQ's client directly, as the producer wrote it and from the
/// delivery's own memory. MassTransit's send publishes from an array (<c>MessageBody.GetBytes()</c>), so a body that
/// lives in the client's pooled delivery buffer was first copied whole into a new one, and its send pipeline cost about
/// 8% of a worker's CPU per send (throughput scenario). Only bodies of at most <see cref="WorkerOptions.LaneMaxBodyBytes"/>
/// move: the intake sends larger ones itself. The publish is durable, mandatory and confirmed
/// before the intake acknowledges its copy, as MassTransit's is; any failure but the consume's own cancellation throws
/// <see cref="LaneForwardException"/> (<see cref="IsForwardFailure"/>), which the intake's retry holds the message for (as
/// it does through a database outage), so it is neither acknowledged nor faulted into <c>send-email_error</c> without a
/// history row.
/// </summary>
public sealed partial class LaneForwarder(RabbitMqConnection connection, ILogger<LaneForwarder> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _open = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>Publishes <paramref name="body"/> to <paramref name="exchange"/> as application/json with <paramref name="headers"/>; returns once the broker confirmed it.</summary>
    public async Task ForwardAsync(string exchange, ReadOnlyMemory<byte> body, IEnumerable<KeyValuePair<string, object>> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var amqpHeaders = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var header in headers)
            amqpHeaders[header.Key] = Amqp(header.Value);
        var channel = await OpenAsync(exchange, cancellationToken);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", Headers = amqpHeaders };
        try
        {
            await channel.BasicPublishAsync(exchange, string.Empty, mandatory: true, properties, body, cancellationToken);
        }
        catch (PublishException exception)
        {
            // Refused (nacked) or returned unroutable: the channel is still open, and other forwards wait on it for their
            // confirms, so it stays.
            throw Failed(exchange, exception);
        }
        catch (Exception exception) when (IsForwardFailure(exception, cancellationToken))
        {
            // A channel closed by the broker (a missing lane exchange closes it with 404, a lost connection closes it too),
            // one disposed under this forward by another forward's reset (the channel is handed out without the lock), or
            // anything else the client throws: this channel is not used again, the next message opens a new one. Before,
            // only the first two were caught: an ObjectDisposedException escaped as itself, which the intake's retry does
            // not hold, and the message was faulted into send-email_error with no history row.
            await ResetAsync(channel);
            throw Failed(exchange, exception);
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/>, met while forwarding, is a forward failure (held and tried again as
    /// <see cref="LaneForwardException"/>): everything but the cancellation of the consume itself, which stays a
    /// cancellation (the intake's message goes back to the broker with its consume).
    /// </summary>
    internal static bool IsForwardFailure(Exception exception, CancellationToken consume) =>
        !(exception is OperationCanceledException && consume.IsCancellationRequested);

    /// <summary>
    /// How many consumers <paramref name="queue"/> has now, or null when it does not exist: a lane of an appId this replica
    /// is not configured for may be another replica's (a rolling change of the accounts).
    /// </summary>
    public async Task<uint?> ConsumersAsync(string queue, CancellationToken cancellationToken)
    {
        // Opens the connection if need be.
        await OpenAsync(queue, cancellationToken);
        try
        {
            // A passive declare of a missing queue closes the channel: a channel of its own, not the forwards'.
            await using var probe = await _connection!.CreateChannelAsync(cancellationToken: cancellationToken);
            return (await probe.QueueDeclarePassiveAsync(queue, cancellationToken)).ConsumerCount;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return null;
        }
        catch (Exception exception) when (IsForwardFailure(exception, cancellationToken))
        {
            throw Failed(queue, exception);
        }
    }

    /// <summary>The forwards' channel, opened if need be; a broker this worker cannot reach is held and tried again too.</summary>
    private async Task<IChannel> OpenAsync(string exchange, CancellationToken cancellationToken)
    {
        try
        {
            return await ChannelAsync(cancellationToken);
        }
        catch (Exception exception) when (IsForwardFailure(exception, cancellationToken))
        {
            throw Failed(exchange, exception);
        }
    }

    /// <summary>Logs a failure to reach <paramref name="exchange"/> and returns what the intake's retry holds the message for.</summary>
    private LaneForwardException Failed(string exchange, Exception exception)
    {
        Log.ForwardFailed(logger, exchange, exception.Message);
        return new LaneForwardException(exchange, exception);
    }

    /// <summary>A header value as AMQP carries it: primitives as they are, times as ISO 8601 text, anything else as text.</summary>
    internal static object? Amqp(object? value) => value switch
    {
        null or string or bool or int or long or short or byte or double or float or decimal or byte[] => value,
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        Guid id => id.ToString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _channel) is { IsOpen: true } open)
            return open;
        await _open.WaitAsync(cancellationToken);
        try
        {
            if (_channel is { IsOpen: true } opened)
                return opened;
            // What failed is let go before it is disposed: a dispose that throws does not leave it in place for the next try.
            if (_channel is { } closed)
            {
                _channel = null;
                await DisposeQuietlyAsync(closed);
            }

            if (_connection is not { IsOpen: true })
            {
                if (_connection is { } lost)
                {
                    _connection = null;
                    await DisposeQuietlyAsync(lost);
                }

                _connection = await connection.CreateFactory().CreateConnectionAsync("sesworker-lanes", cancellationToken);
            }

            _channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken);
            return _channel;
        }
        finally
        {
            _open.Release();
        }
    }

    private async Task ResetAsync(IChannel failed)
    {
        try
        {
            await _open.WaitAsync();
        }
        catch (ObjectDisposedException)
        {
            // The forwarder is disposed (the process stopping): so is the channel.
            return;
        }

        try
        {
            if (ReferenceEquals(_channel, failed))
            {
                _channel = null;
                await DisposeQuietlyAsync(failed);
            }
        }
        finally
        {
            _open.Release();
        }
    }

    /// <summary>Disposes a channel or connection that failed; one closed or disposed already has nothing to give back.</summary>
    private static async Task DisposeQuietlyAsync(IAsyncDisposable failed)
    {
        try
        {
            await failed.DisposeAsync();
        }
        catch (Exception exception) when (IsForwardFailure(exception, CancellationToken.None))
        {
            // Closed already, or failing to close: it is not used again either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
            await _channel.DisposeAsync();
        if (_connection is not null)
            await _connection.DisposeAsync();
        _open.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(2012, LogLevel.Warning, "Moving a message to {Exchange} failed ({Reason}); the intake holds it and tries again")]
        public static partial void ForwardFailed(ILogger logger, string exchange, string reason);
    }
}
