using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using RabbitMQ.Client;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Messaging;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// After each outcome the worker publishes <c>EmailSent</c> or <c>EmailSendFailed</c> (README, Publishing from any
/// language), without holding the send's turn for the broker's confirm: MassTransit acknowledges the message once the
/// event is confirmed. Read here as any subscriber would, from a queue bound to the event's exchange.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class OutcomeEventTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Each_outcome_is_published_once_as_an_event()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sentQueue = await BindAsync(channel, "SesWorker.Contracts:EmailSent");
        var failedQueue = await BindAsync(channel, "SesWorker.Contracts:EmailSendFailed");
        var good = Enumerable.Range(0, 5).Select(_ => TestMessages.Email()).ToList();
        var bad = TestMessages.Email(to: "not-an-address");

        await fixture.PublishRawAsync([.. good, bad]);
        var rows = await fixture.WaitForTerminalAsync([.. good.Select(g => g.EmailId), bad.EmailId], TimeSpan.FromSeconds(30));

        Assert.Equal(EmailStatus.Failed, rows.Single(r => r.EmailId == bad.EmailId).Status);
        var sent = await DrainAsync(channel, sentQueue, good.Count);
        var failed = await DrainAsync(channel, failedQueue, 1);
        Assert.All(good, g => Assert.Single(sent, body => body.Contains(g.EmailId.ToString(), StringComparison.Ordinal)));
        Assert.Equal(good.Count, sent.Count);
        var failure = Assert.Single(failed);
        Assert.Contains(bad.EmailId.ToString(), failure, StringComparison.Ordinal);
        Assert.Contains(rows.Single(r => r.EmailId == bad.EmailId).FailureCode!, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_copy_parked_after_a_redelivery_publishes_the_event_again_when_it_finds_the_email_done()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var sentQueue = await BindAsync(channel, "SesWorker.Contracts:EmailSent");
        using var outcomes = new OutcomeCount();
        var command = TestMessages.Email();
        await fixture.PublishRawAsync([command]);
        await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Single(await DrainAsync(channel, sentQueue, 1));
        Assert.Equal(1, outcomes.Total);

        // Copies back from the held queue's wait, as a worker parks a copy it found held by another: one parked after the
        // broker had delivered it before (its first delivery's event may never have reached the broker), one not. Parked,
        // a copy is a new message, so only the header says so.
        var held = QueueNames.HeldQueue(SesWorkerFixture.QueueName);
        await fixture.PublishRawAsync([command], new Dictionary<string, object?>
        {
            [DeadLetterHeaders.Code] = ErrorCodes.HeldElsewhere,
            [DeadLetterHeaders.Redelivered] = true,
        }, held);
        await fixture.PublishRawAsync([command], new Dictionary<string, object?> { [DeadLetterHeaders.Code] = ErrorCodes.HeldElsewhere }, held);

        // Published again once, for the copy that says it was redelivered (before, for neither).
        var again = await DrainAsync(channel, sentQueue, 1);
        Assert.Single(again);
        Assert.Contains(command.EmailId.ToString(), again[0], StringComparison.Ordinal);
        // The outcome metric counts the email once: the repeated event is marked, and it is the database's one outcome.
        Assert.Equal(1, outcomes.Total);
    }

    /// <summary>What the worker's sesworker.outcomes counter adds, as a metrics exporter sees it.</summary>
    private sealed class OutcomeCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public OutcomeCount()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "SesWorker" && instrument.Name == "sesworker.outcomes")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }

    private static async Task<string> BindAsync(IChannel channel, string exchange)
    {
        // As MassTransit declares a message type's exchange: fanout, durable.
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, exchange, string.Empty);
        return queue;
    }

    /// <summary>What arrives within a few seconds once <paramref name="expected"/> have: one more second for any extra.</summary>
    private static async Task<List<string>> DrainAsync(IChannel channel, string queue, int expected)
    {
        var bodies = new List<string>();
        var watch = Stopwatch.StartNew();
        TimeSpan? enoughAt = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(15) && (enoughAt is null || watch.Elapsed < enoughAt + TimeSpan.FromSeconds(1)))
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
            {
                bodies.Add(Encoding.UTF8.GetString(delivery.Body.Span));
                if (bodies.Count >= expected)
                    enoughAt ??= watch.Elapsed;
                continue;
            }

            await Task.Delay(100);
        }

        return bodies;
    }
}
