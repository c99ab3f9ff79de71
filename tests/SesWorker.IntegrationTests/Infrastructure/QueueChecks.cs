using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>What the tests read off RabbitMQ: queue depths and the messages themselves.</summary>
internal static class QueueChecks
{
    public static async Task<uint> CountAsync(this SesWorkerFixture fixture, string queue)
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            // Never declared: nothing was ever routed there.
            return 0;
        }
    }

    public static async Task WaitForQueueAsync(this SesWorkerFixture fixture, string queue, uint count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await fixture.CountAsync(queue) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{queue} did not reach {count} messages.");
            await Task.Delay(100);
        }
    }

    /// <summary>Takes up to <paramref name="count"/> messages off the queue (unacknowledged: they return when the channel closes).</summary>
    public static async Task<List<BasicGetResult>> ReadQueueAsync(IChannel channel, string queue, int count, TimeSpan timeout)
    {
        var results = new List<BasicGetResult>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var result = await channel.BasicGetAsync(queue, autoAck: false);
            if (result is null)
            {
                await Task.Delay(100);
                continue;
            }

            results.Add(result);
        }

        return results;
    }
}
