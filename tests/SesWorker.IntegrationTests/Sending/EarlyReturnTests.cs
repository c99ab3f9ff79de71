using System.Globalization;
using System.Text.Json;
using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Messaging;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// A copy back from a delay queue before its time: one that waited for a limit goes round again, one that only waited
/// for another worker's claim is sent once the claim is free (the owner finished or died before its time-out said).
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class EarlyReturnTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Camel = new(JsonSerializerDefaults.Web);

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_copy_that_waited_for_another_workers_claim_is_sent_at_once_and_one_that_waited_for_a_limit_goes_round_again()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5);
        var waitedForClaim = TestMessages.Email();
        var waitedForCap = TestMessages.Email();

        await PublishDeferredAsync(waitedForClaim, ErrorCodes.HeldElsewhere, until);
        await PublishDeferredAsync(waitedForCap, ErrorCodes.RecipientHourlyCap, until);

        var sent = await fixture.WaitForTerminalAsync(waitedForClaim.EmailId, TimeSpan.FromSeconds(30));
        Assert.Equal(EmailStatus.Sent, sent.Status);
        await fixture.WaitForStatusAsync(waitedForCap.EmailId, EmailStatus.Deferred, TimeSpan.FromSeconds(30));
        // Only the first reached the provider.
        Assert.Single(fixture.Simulator.Messages);
    }

    /// <summary>As the delay queues bring a copy back: its deferral's code and time in the headers.</summary>
    private async Task PublishDeferredAsync(SendEmail command, string code, DateTimeOffset until)
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?>
            {
                [DeadLetterHeaders.Reason] = DeadLetterHeaders.ReasonDeferred,
                [DeadLetterHeaders.Code] = code,
                [DeadLetterHeaders.DeferredUntil] = until.ToString("O", CultureInfo.InvariantCulture),
            },
        };
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, properties,
            JsonSerializer.SerializeToUtf8Bytes(command, Camel));
    }
}
