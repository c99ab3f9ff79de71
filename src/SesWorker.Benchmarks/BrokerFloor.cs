using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace SesWorker.Benchmarks;

/// <summary>
/// The broker's own pace for the intake's work, measured before the workers start (fairness scenario): RabbitMQ's
/// client alone, in this process, moves as many messages as appId A's backlog, each a body of that backlog, from one
/// quorum queue to another the way the intake moves them to a lane (a consumer at the intake's prefetch, each message
/// published to the second queue, persistent and confirmed, then acknowledged), and does nothing else with them. No
/// worker's pass over the same backlog can be faster on this machine, so the report gives the small appIds' wait
/// beside it: what is above it is the worker's.
/// </summary>
internal static class BrokerFloor
{
    /// <summary>
    /// The worker's intake concurrency when <c>--concurrency</c> is not given and nothing limits its memory: its byte
    /// budget's 128 MiB over 32 MiB per largest body (README, "Memory").
    /// </summary>
    public const int WorkerDefaultIntake = 4;

    /// <summary>Moves <c>--backlog</c> bodies of appId A's kind (with the memory scenario's attachments where A's backlog has them) at <c>--concurrency</c>.</summary>
    public static async Task<BrokerFloorFigures> RunAsync(BenchBroker broker, BenchAccount account, string runId, BenchSettings settings, CancellationToken ct)
    {
        var sample = settings.BigAttachments
            ? BenchMessages.CreateWithAttachments([account], 1, $"{runId}-floor")[0]
            : BenchMessages.One(account, 0, $"{runId}-floor");
        var floor = await MoveAsync(
            broker.Connection, runId, settings.Backlog, settings.Concurrency ?? WorkerDefaultIntake, BenchBroker.Serialize(sample), ct);
        BenchLog.Write(string.Create(CultureInfo.InvariantCulture,
            $"broker alone: moved {floor.Messages} between two quorum queues at {floor.Prefetch} in flight in {floor.Seconds:F2}s"));
        return floor;
    }

    private static async Task<BrokerFloorFigures> MoveAsync(IConnection connection, string runId, int count, int prefetch, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var from = $"bench-floor-{runId}-from";
        var to = $"bench-floor-{runId}-to";
        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        var confirmed = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var publisher = await connection.CreateChannelAsync(confirmed, ct);
        await publisher.QueueDeclareAsync(from, durable: true, exclusive: false, autoDelete: false, quorum, cancellationToken: ct);
        await publisher.QueueDeclareAsync(to, durable: true, exclusive: false, autoDelete: false, quorum, cancellationToken: ct);
        try
        {
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
            // Confirmed in batches of at most 500, and of at most 64 MiB: the client rents a frame buffer per publish.
            var batch = (int)Math.Clamp(64L * 1024 * 1024 / Math.Max(1, body.Length), 1, 500);
            for (var sent = 0; sent < count; sent += batch)
                await Task.WhenAll(Enumerable.Range(0, Math.Min(batch, count - sent))
                    .Select(_ => publisher.BasicPublishAsync(string.Empty, from, mandatory: true, properties, body, ct).AsTask()));

            // As the intake: as many handlers at once as the prefetch, each publish confirmed before its ack.
            await using var consumerChannel = await connection.CreateChannelAsync(new CreateChannelOptions(false, false, consumerDispatchConcurrency: (ushort)prefetch), ct);
            await using var forwarder = await connection.CreateChannelAsync(confirmed, ct);
            await consumerChannel.BasicQosAsync(0, (ushort)prefetch, global: false, ct);
            var cycles = new ConcurrentBag<double>();
            var moved = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(consumerChannel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var start = Stopwatch.GetTimestamp();
                await forwarder.BasicPublishAsync(string.Empty, to, mandatory: true, properties, delivery.Body, ct);
                await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false, ct);
                cycles.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (Interlocked.Increment(ref moved) == count)
                    done.TrySetResult();
            };
            var watch = Stopwatch.StartNew();
            await consumerChannel.BasicConsumeAsync(from, autoAck: false, consumer, ct);
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
            var seconds = watch.Elapsed.TotalSeconds;
            var sorted = cycles.Order().ToArray();
            return new BrokerFloorFigures(count, prefetch, body.Length, seconds, count / seconds, Analysis.Percentile(sorted, 0.5), Analysis.Percentile(sorted, 0.99));
        }
        finally
        {
            await publisher.QueueDeleteAsync(from, cancellationToken: CancellationToken.None);
            await publisher.QueueDeleteAsync(to, cancellationToken: CancellationToken.None);
        }
    }
}

/// <summary>
/// <see cref="BrokerFloor"/>: <paramref name="Messages"/> of <paramref name="BodyBytes"/> moved at
/// <paramref name="Prefetch"/> in flight in <paramref name="Seconds"/>; one message's publish-and-ack p50 / p99 in ms.
/// </summary>
internal sealed record BrokerFloorFigures(int Messages, int Prefetch, int BodyBytes, double Seconds, double PerSecond, double CycleP50Ms, double CycleP99Ms);
