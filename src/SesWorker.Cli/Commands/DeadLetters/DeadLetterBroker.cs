using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SesWorker.Messaging;

namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>
/// One AMQP connection for a dlq command. Browsing takes messages with basic.get and no auto-ack on a channel of
/// its own, so nothing is lost: whatever the command does not acknowledge goes back when that channel closes.
/// </summary>
internal sealed class DeadLetterBroker : IAsyncDisposable
{
    public const string RedrivenAt = "sesworker-redriven-at";

    /// <summary>
    /// Set by the broker (dead-lettering, quorum redelivery count) or by RabbitMQ.Client's confirm tracking on the
    /// original publish: stale on a copy, and the client sets its own sequence number on ours.
    /// </summary>
    private static readonly string[] TransportHeaders = ["x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
        "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count", "x-dotnet-pub-seq-no"];

    private static readonly JsonSerializerOptions EnvelopeJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonNodeOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    private readonly IConnection _connection;
    private IChannel? _publisher;

    private DeadLetterBroker(IConnection connection) => _connection = connection;

    public static async Task<DeadLetterBroker> ConnectAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var rabbit = Connections.RabbitMq(configuration);
        try
        {
            return new DeadLetterBroker(await rabbit.CreateFactory().CreateConnectionAsync("sesworker-cli-dlq", cancellationToken));
        }
        catch (BrokerUnreachableException exception)
        {
            throw new CliException($"cannot connect to RabbitMQ at {rabbit}: {exception.InnerException?.Message ?? exception.Message}");
        }
    }

    /// <summary>Messages ready in the queue now; null when the queue does not exist (e.g. no fault so far).</summary>
    public async Task<uint?> CountAsync(DeadLetterQueue queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes the channel: use a throw-away one.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue.Name, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == Constants.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// At most <paramref name="count"/> messages, oldest first, each once: unacknowledged messages are not delivered
    /// again on the same channel, and the bound keeps messages that arrive meanwhile (or come back) out of this pass.
    /// </summary>
    public async IAsyncEnumerable<DeadLetterMessage> BrowseAsync(DeadLetterQueue queue, uint count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            for (var i = 0u; i < count; i++)
            {
                var result = await channel.BasicGetAsync(queue.Name, autoAck: false, cancellationToken);
                if (result is null)
                    yield break;
                yield return DeadLetterMessage.From(queue, channel, result);
            }
        }
        finally
        {
            // Closing the channel returns every message it did not acknowledge to the queue, in its place.
            await channel.DisposeAsync();
        }
    }

    /// <summary>
    /// Publishes a copy to <paramref name="exchange"/> and waits for the broker's confirm. The caller acknowledges the
    /// original only after this returns, so a failure leaves the message where it was.
    /// </summary>
    public async Task RepublishAsync(DeadLetterMessage message, string exchange, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var redrivenAt = now.ToString("O", CultureInfo.InvariantCulture);
        var headers = message.Headers.Where(h => !TransportHeaders.Contains(h.Key)).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        headers[DeadLetterHeaders.Redriven] = true;
        headers[RedrivenAt] = redrivenAt;

        var original = message.Properties;
        var properties = new BasicProperties
        {
            ContentType = original.ContentType,
            ContentEncoding = original.ContentEncoding,
            MessageId = original.MessageId,
            CorrelationId = original.CorrelationId,
            Type = original.Type,
            AppId = original.AppId,
            ReplyTo = original.ReplyTo,
            // Not Expiration (the message would die again) nor UserId (the broker checks it against our login).
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        if (original.IsTimestampPresent())
            properties.Timestamp = original.Timestamp;
        if (original.IsPriorityPresent())
            properties.Priority = original.Priority;

        var body = message.IsEnvelope ? MarkEnvelope(message.Body, redrivenAt) : message.Body;

        if (_publisher is not { IsOpen: true })
        {
            if (_publisher is not null)
                await _publisher.DisposeAsync();
            _publisher = await _connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        }

        // mandatory: an exchange bound to nothing would drop the message; with tracking this throws instead.
        await _publisher.BasicPublishAsync(exchange, string.Empty, mandatory: true, properties, body, cancellationToken);
    }

    /// <summary>
    /// MassTransit reads a consumer's headers from the envelope, not from the AMQP headers, so the redrive mark
    /// goes into the envelope's "headers" as well. The message itself is left as it was.
    /// </summary>
    private static byte[] MarkEnvelope(byte[] body, string redrivenAt)
    {
        if (JsonNode.Parse(body, CaseInsensitive) is not JsonObject envelope)
            return body;
        if (envelope["headers"] is not JsonObject headers)
        {
            envelope.Remove("headers");
            envelope["headers"] = headers = new JsonObject(CaseInsensitive);
        }

        headers[DeadLetterHeaders.Redriven] = true;
        headers[RedrivenAt] = redrivenAt;
        return JsonSerializer.SerializeToUtf8Bytes(envelope, EnvelopeJson);
    }

    public async ValueTask DisposeAsync()
    {
        if (_publisher is not null)
            await _publisher.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
