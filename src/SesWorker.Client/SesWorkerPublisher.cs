using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.Core.Sending;
using SesWorker.Messaging;

namespace SesWorker.Client;

/// <summary>
/// Publishes SendEmail as plain JSON over one AMQP connection: checked first against the worker's rules, then
/// persistent, mandatory (an exchange bound to nothing is an error, not a silent drop) and confirmed by the broker.
/// Not thread-safe: one publisher per concurrent producer.
/// </summary>
public sealed class SesWorkerPublisher : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _exchange;
    private readonly SesLimits _limits;

    private SesWorkerPublisher(IConnection connection, IChannel channel, string exchange, SesLimits limits)
    {
        _connection = connection;
        _channel = channel;
        _exchange = exchange;
        _limits = limits;
    }

    /// <param name="amqpUri">amqp://user:pass@host:port/vhost</param>
    /// <param name="exchange">The worker's exchange; <see cref="QueueNames.SendEmail"/> unless the worker renamed it.</param>
    public static async Task<SesWorkerPublisher> ConnectAsync(string amqpUri, string exchange = QueueNames.SendEmail, SesLimits? limits = null,
        CancellationToken cancellationToken = default)
    {
        var factory = new RabbitMqConnection(amqpUri).CreateFactory();
        var connection = await factory.CreateConnectionAsync("sesworker-client", cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            return new SesWorkerPublisher(connection, channel, exchange, limits ?? new SesLimits());
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<PublishResult> PublishAsync(SendEmail message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (SendEmailMessages.Check(message, _limits) is { } failure)
            return PublishResult.Refused(message.EmailId, message.ProducerKey, failure.Code, failure.Message);

        var properties = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = message.EmailId.ToString(),
            CorrelationId = message.CorrelationId?.ToString(),
        };
        // With confirm tracking this returns once the broker has the message (and throws if it refused or returned it).
        await _channel.BasicPublishAsync(_exchange, string.Empty, mandatory: true, properties, SendEmailMessages.Serialize(message), cancellationToken);
        return PublishResult.Done(message.EmailId, message.ProducerKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
