using System.Text.Json;
using System.Text.Json.Serialization;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SesWorker.Contracts;
using SesWorker.Messaging;

namespace SesWorker.Benchmarks;

/// <summary>The benchmark's side of RabbitMQ: watches the worker queue and publishes as a plain-JSON producer would.</summary>
internal sealed class BenchBroker(IConnection connection) : IAsyncDisposable
{
    public const string Queue = QueueNames.SendEmail;

    private const int ConfirmBatch = 500;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The connection, for <see cref="BrokerFloor"/>.</summary>
    public IConnection Connection => connection;

    /// <summary>A message's body as the benchmark publishes it: plain JSON, as a producer in any language would write it.</summary>
    public static byte[] Serialize(SendEmail message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);

    /// <summary>The amqp:// URI of <paramref name="serverUri"/> with its path replaced by <paramref name="virtualHost"/>.</summary>
    public static Uri WithVirtualHost(string serverUri, string virtualHost) =>
        new UriBuilder(serverUri) { Path = "/" + Uri.EscapeDataString(virtualHost) }.Uri;

    public static async Task<BenchBroker> ConnectAsync(Uri uri, CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = uri };
        return new BenchBroker(await factory.CreateConnectionAsync("sesworker-bench", ct));
    }

    /// <summary>The queue's consumers and ready messages; null while no worker has declared it yet.</summary>
    public async Task<(uint Consumers, uint Messages)?> InspectAsync(CancellationToken ct)
    {
        // A passive declare of a missing queue closes the channel (404), hence a channel per probe.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            var ok = await channel.QueueDeclarePassiveAsync(Queue, ct);
            return (ok.ConsumerCount, ok.MessageCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Drops what an aborted earlier run left queued; returns how many messages that was. Not only the intake: the
    /// workers move messages on to a lane per appId, the large lane and the delay queues, and a run stopped early
    /// (the fairness scenario's appId A, --max-seconds) left thousands in a lane, which the next run's workers sent
    /// first (a throughput warm-up then waited minutes for 5 messages queued behind 8,235 old ones).
    /// </summary>
    public async Task<uint> PurgeAsync(IEnumerable<string> appIds, CancellationToken ct)
    {
        if (await InspectAsync(ct) is null)
            return 0;
        uint purged = 0;
        var queues = new[] { Queue, QueueNames.LargeLaneQueue(Queue), QueueNames.HeldQueue(Queue), QueueNames.HeldWaitQueue(Queue) }
            .Concat(QueueNames.DelayTiers.Select(tier => QueueNames.DelayQueue(QueueNames.DelayQueuePrefix, tier)))
            .Concat(appIds.Select(appId => QueueNames.LaneQueue(Queue, appId)));
        foreach (var queue in queues)
        {
            // A purge of a missing queue closes the channel (404), hence a channel per queue.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                purged += await channel.QueuePurgeAsync(queue, ct);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
            }
        }

        return purged;
    }

    /// <summary>
    /// Publishes to the exchange <c>send-email</c>: JSON, persistent, with publisher confirms awaited in batches.
    /// <paramref name="published"/> receives each message's index and the time it was handed to the client.
    /// </summary>
    public async Task PublishAsync(IReadOnlyList<SendEmail> messages, DateTimeOffset[] published, CancellationToken ct)
    {
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var channel = await connection.CreateChannelAsync(options, ct);
        var pending = new List<Task>(ConfirmBatch);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var body = Serialize(message);
            var properties = new BasicProperties
            {
                ContentType = "application/json",
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = message.EmailId.ToString(),
            };
            published[i] = DateTimeOffset.UtcNow;
            pending.Add(channel.BasicPublishAsync(Queue, string.Empty, mandatory: true, properties, body, ct).AsTask());
            if (pending.Count == ConfirmBatch)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    public async ValueTask DisposeAsync()
    {
        await connection.CloseAsync();
        await connection.DisposeAsync();
    }
}
