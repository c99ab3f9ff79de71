using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SesWorker.Contracts;
using SesWorker.Core.Sending;
using SesWorker.Messaging;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator.Latency;
using SesWorker.Worker.Memory;

namespace SesWorker.IntegrationTests.Memory;

/// <summary>
/// Large attachments through a worker with a small byte budget (the memory target: peak RSS at most 256 MiB, where 60
/// messages with 3.9 MB attachments once took a worker to 1,790 MB): everything is sent, and the worker's own
/// accounting (the sesworker.inflight.* metrics) never went above the budget.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ByteBudgetTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public async ValueTask DisposeAsync() => await fixture.RestartWorkerAsync("worker-a");

    [Fact]
    public async Task Attachments_near_the_limits_all_go_through_a_20_MiB_budget_without_exceeding_it()
    {
        var budget = await RestartWithBudgetAsync(20 * MiB);
        using var returns = new LargeBufferReturns();
        // At the per-attachment limit (3.9 MB of 4 MB), and two that fill the 10 MB a message may be on the wire.
        var commands = Enumerable.Range(0, 8).Select(i => TestMessages.WithAttachments(i % 2 == 0 ? SesWorkerFixture.AppId : SesWorkerFixture.SecondAppId,
                i % 2 == 0 ? SesWorkerFixture.Sender : SesWorkerFixture.SecondSender, i < 4 ? [3_900_000] : [3_800_000, 3_800_000]))
            .ToList();

        await fixture.PublishRawAsync(commands);
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.All(rows, row => Assert.Equal(EmailStatus.Sent, row.Status));
        Assert.Equal(commands.Count, fixture.Simulator.Messages.Count);
        var (highWater, limit) = ReadMetrics();
        Assert.Equal(20 * MiB, limit);
        // Several at once (two 5 MB bodies fit), never more than the budget.
        Assert.InRange(highWater, 10 * MiB, 20 * MiB);
        Assert.Equal(highWater, budget.HighWater);
        Assert.Equal(0, budget.InFlight);
        // Every delivery's buffer went back to the shared pool on the worker's return thread, where the next delivery's
        // rent finds it (README, Memory); this process's publishes return theirs on other threads.
        Assert.True(returns.OnReturnThread >= commands.Count,
            $"{returns.OnReturnThread} large buffers returned on the return thread, {returns.Elsewhere} elsewhere, for {commands.Count} deliveries");
    }

    [Fact]
    public async Task A_message_larger_than_the_whole_budget_goes_through_alone()
    {
        var budget = await RestartWithBudgetAsync(2 * MiB);
        var commands = new[]
        {
            TestMessages.WithAttachments(SesWorkerFixture.AppId, SesWorkerFixture.Sender, [3_900_000]),
            TestMessages.WithAttachments(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender, [3_000_000]),
        };

        await fixture.PublishRawAsync(commands);
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.All(rows, row => Assert.Equal(EmailStatus.Sent, row.Status));
        // Each took the whole budget once, at the intake, which sent it (it is not forwarded to a lane and charged again
        // there): one message at a time, never more.
        Assert.Equal(2 * MiB, budget.HighWater);
        Assert.Equal(2, budget.Oversized);
        Assert.Equal(2, fixture.Simulator.Messages.Count);
    }

    [Fact]
    public async Task A_message_larger_than_the_budget_among_a_lanes_sends_does_not_stall_the_worker()
    {
        // Two turns, a small budget and a provider 100 ms away: lane sends hold both turns and ask for bytes while the
        // large body waits for all of them. Taken the other way round (bytes, then a turn), the large body got the whole
        // budget and waited for a turn that lane messages held while they waited for bytes behind it: nothing moved.
        fixture.SimulatorOptions.Latency.Default = ReplyLatency.Parse("100ms±30ms");
        var budget = await RestartWithBudgetAsync(2 * MiB, new Dictionary<string, string?>
        {
            ["Worker:MinConcurrentSends"] = "2",
            ["Worker:MaxConcurrentSends"] = "2",
        });
        var before = Enumerable.Range(0, 20).Select(i => TestMessages.Email(to: $"before{i}@example.org")).ToList();
        var large = TestMessages.WithAttachments(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender, [3_000_000]);
        var after = Enumerable.Range(0, 20).Select(i => TestMessages.Email(to: $"after{i}@example.org")).ToList();

        await fixture.PublishRawAsync(before);
        await fixture.Simulator.WaitForMessagesAsync(2, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await fixture.PublishRawAsync([large, .. after]);
        var rows = await fixture.WaitForTerminalAsync([.. before.Select(c => c.EmailId), large.EmailId, .. after.Select(c => c.EmailId)], TimeSpan.FromSeconds(60));

        Assert.All(rows, row => Assert.Equal(EmailStatus.Sent, row.Status));
        Assert.Equal(1, budget.Oversized);
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task What_an_older_version_left_in_the_large_lane_is_still_sent()
    {
        // Before 2026-11-28 the intake forwarded large bodies to send-email-large; a worker upgraded with some there
        // must not strand them.
        var commands = new[] { TestMessages.WithAttachments(SesWorkerFixture.AppId, SesWorkerFixture.Sender, [1_000_000]) };

        await fixture.PublishRawAsync(commands, exchange: QueueNames.LargeLaneQueue(SesWorkerFixture.QueueName));
        var rows = await fixture.WaitForTerminalAsync([commands[0].EmailId], TimeSpan.FromSeconds(60));

        Assert.Equal(EmailStatus.Sent, Assert.Single(rows).Status);
        Assert.Single(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task A_large_message_back_early_from_a_delay_queue_is_deferred_again()
    {
        // A copy back early from a delay queue: its headers say until when it was deferred and why. The intake sends a
        // large body itself; it must read them there and defer it again.
        var command = TestMessages.WithAttachments(SesWorkerFixture.AppId, SesWorkerFixture.Sender, [200_000]);
        var until = DateTimeOffset.UtcNow.AddMinutes(20);
        await fixture.PublishRawAsync([command], new Dictionary<string, object?>
        {
            [DeadLetterHeaders.DeferredUntil] = until.ToString("O", CultureInfo.InvariantCulture),
            [DeadLetterHeaders.Code] = ErrorCodes.RecipientHourlyCap,
            [DeadLetterHeaders.ProviderMessage] = "deferred by the test",
        });

        // Without the header it would have been sent at once.
        var row = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Deferred);

        Assert.Equal(0, row.Attempts);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
        Assert.Empty(fixture.Simulator.Messages);
    }

    private async Task<ByteBudget> RestartWithBudgetAsync(long bytes, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(more ?? []) { ["Worker:InFlightBytes"] = bytes.ToString(CultureInfo.InvariantCulture) };
        var host = await fixture.RestartWorkerAsync("worker-budget", settings);
        return host.Services.GetRequiredService<ByteBudget>();
    }

    /// <summary>Counts the shared pool's returns of arrays of 4 MiB or more (every body here is over 5 MB), by thread.</summary>
    private sealed class LargeBufferReturns : EventListener
    {
        private int _onReturnThread;
        private int _elsewhere;

        public int OnReturnThread => Volatile.Read(ref _onReturnThread);

        public int Elsewhere => Volatile.Read(ref _elsewhere);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            // BufferReturned is a verbose event.
            if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
                EnableEvents(eventSource, EventLevel.Verbose);
        }

        // Called on the thread that returned the array.
        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName != "BufferReturned" || eventData.PayloadNames is not { } names || eventData.Payload is not { } payload)
                return;
            if (payload[names.IndexOf("bufferSize")] is int size && size >= 4 * MiB)
                Interlocked.Increment(ref BufferReturnThread.IsCurrent ? ref _onReturnThread : ref _elsewhere);
        }
    }

    /// <summary>The worker's gauges as a metrics exporter reads them.</summary>
    private static (long HighWater, long Limit) ReadMetrics()
    {
        long highWater = -1, limit = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "SesWorker" && instrument.Name.StartsWith("sesworker.inflight.bytes.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "sesworker.inflight.bytes.high_water")
                highWater = value;
            else if (instrument.Name == "sesworker.inflight.bytes.limit")
                limit = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return (highWater, limit);
    }
}
