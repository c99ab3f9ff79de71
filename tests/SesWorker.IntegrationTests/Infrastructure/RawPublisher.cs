using System.Text.Json;
using RabbitMQ.Client;
using SesWorker.Contracts;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>Publishes plain JSON to the send-email exchange with publisher confirms, as a producer in any language does.</summary>
internal static class RawPublisher
{
    private static readonly JsonSerializerOptions Camel = new(JsonSerializerDefaults.Web);

    /// <param name="headers">AMQP headers for every message (say, those a delay queue's copy carries).</param>
    /// <param name="exchange">Another exchange than send-email's (say, a lane's, as an older worker forwarded to it).</param>
    public static async Task PublishRawAsync(this SesWorkerFixture fixture, IReadOnlyList<SendEmail> commands, IDictionary<string, object?>? headers = null,
        string? exchange = null)
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null));
        var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, Headers = headers };
        // Confirms awaited a batch at a time: a backlog of thousands goes out in a second or two.
        foreach (var batch in commands.Chunk(200))
        {
            await Task.WhenAll(batch.Select(command =>
                channel.BasicPublishAsync(exchange ?? SesWorkerFixture.QueueName, string.Empty, true, properties, JsonSerializer.SerializeToUtf8Bytes(command, Camel)).AsTask()));
        }
    }
}
