using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using SesWorker.Worker.Sending;
using SesWorker.Messaging;

namespace SesWorker.Worker.DeadLettering;

/// <summary>
/// Declares the dead-letter queues at start. The rate-limited queue's messages carry a TTL and dead-letter back
/// into the main queue's exchange: Debian's RabbitMQ 3.10 has no delayed-message plugin, and a TTL
/// queue needs no scheduler. Each queue gets a fanout exchange of its own name, which is what
/// MassTransit's <c>exchange:</c> send address declares.
/// </summary>
public sealed class DeadLetterTopology(SesWorker.Messaging.RabbitMqConnection connection, IOptions<DeadLetterOptions> options, IOptions<WorkerOptions> worker) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var factory = connection.CreateFactory();
        await using var amqp = await factory.CreateConnectionAsync("sesworker-topology", cancellationToken);
        await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken);

        await channel.ExchangeDeclareAsync(worker.Value.QueueName, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        // MassTransit creates its error queue only at the first fault; declared here (as MassTransit would: quorum,
        // like the endpoint) so operators and the dlq CLI find it on a fresh broker.
        await DeclareAsync(channel, $"{worker.Value.QueueName}_error", new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken);
        await DeclareAsync(channel, settings.OversizeQueue, null, cancellationToken);
        await DeclareAsync(channel, settings.RateLimitedParkedQueue, null, cancellationToken);
        await DeclareAsync(channel, settings.RateLimitedQueue, new Dictionary<string, object?>
        {
            ["x-dead-letter-exchange"] = worker.Value.QueueName,
        }, cancellationToken);
        // A copy of an email another worker holds waits here, and comes back to its own queue (a receive endpoint, so
        // MassTransit declares the queue; its exchange is needed before the first copy expires).
        var held = QueueNames.HeldQueue(worker.Value.QueueName);
        await channel.ExchangeDeclareAsync(held, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await DeclareAsync(channel, QueueNames.HeldWaitQueue(worker.Value.QueueName), new Dictionary<string, object?>
        {
            ["x-message-ttl"] = (long)QueueNames.HeldWait.TotalMilliseconds,
            ["x-dead-letter-exchange"] = held,
        }, cancellationToken);
        foreach (var tier in DeadLetterOptions.DelayTiers)
        {
            await DeclareAsync(channel, settings.DelayQueueName(tier), new Dictionary<string, object?>
            {
                ["x-message-ttl"] = (long)tier.TotalMilliseconds,
                ["x-dead-letter-exchange"] = worker.Value.QueueName,
            }, cancellationToken);
        }
    }

    private static async Task DeclareAsync(IChannel channel, string name, IDictionary<string, object?>? arguments, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(name, name, string.Empty, cancellationToken: cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
