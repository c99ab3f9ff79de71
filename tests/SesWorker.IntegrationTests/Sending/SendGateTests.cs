using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator.Latency;
using SesWorker.Worker.Sending;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// The process-wide bound on sends (Worker:MaxConcurrentSends) across the lanes: each lane may hold 24 sends, but the
/// process works on no more than the gate allows, and every message still goes through.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class SendGateTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public async ValueTask DisposeAsync() => await fixture.RestartWorkerAsync("worker-a");

    [Fact]
    public async Task Three_busy_lanes_share_the_processes_turns_and_all_their_messages_are_sent()
    {
        fixture.SimulatorOptions.Latency.Default = ReplyLatency.Parse("30ms±10ms");
        var host = await fixture.RestartWorkerAsync("worker-gate", new Dictionary<string, string?>
        {
            ["Worker:MaxConcurrentSends"] = "4",
            ["Worker:LaneConcurrency"] = "24",
        });
        var gate = host.Services.GetRequiredService<SendGate>();
        var commands = new[] { SesWorkerFixture.AppId, SesWorkerFixture.SecondAppId, SesWorkerFixture.ThirdAppId }
            .SelectMany(app => Enumerable.Range(0, 30).Select(_ => TestMessages.Email(app, SesWorkerFixture.SenderOf(app))))
            .ToList();

        var sawWaiting = false;
        var rows = await SendWatchingAsync(commands, () => sawWaiting |= gate.Waiting > 0);
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        Assert.Equal(commands.Count, fixture.Simulator.Messages.Count);
        // The lanes delivered more than the gate let through at once: the rest waited their turn.
        Assert.True(sawWaiting, "no message ever waited for a turn");
        Assert.Equal(4, gate.HighWater);
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task A_message_waiting_for_a_turn_is_not_consumed_yet()
    {
        // It waits in the receive pipe, before MassTransit builds its consume context, scope and consumer: with 2 turns
        // and two lanes of 24, at most 2 consumes hold turns and at most 2 more have given theirs back and are
        // finishing. Without the wait in the receive pipe every delivered message was a consume waiting in the
        // consumer (up to 48 here).
        fixture.SimulatorOptions.Latency.Default = ReplyLatency.Parse("30ms±10ms");
        var host = await StartWithTwoTurnsAsync();
        var gate = host.Services.GetRequiredService<SendGate>();
        var consumes = new LaneConsumes();
        using var observer = host.Services.GetRequiredService<IBus>().ConnectConsumeObserver(consumes);
        var commands = new[] { SesWorkerFixture.AppId, SesWorkerFixture.SecondAppId }
            .SelectMany(app => Enumerable.Range(0, 30).Select(_ => TestMessages.Email(app, SesWorkerFixture.SenderOf(app))))
            .ToList();

        var mostWaiting = 0;
        var rows = await SendWatchingAsync(commands, () => mostWaiting = Math.Max(mostWaiting, gate.Waiting));
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        Assert.True(mostWaiting >= 10, $"at most {mostWaiting} messages waited for a turn: the lanes did not deliver ahead");
        Assert.True(consumes.Started >= commands.Count, $"{consumes.Started} lane consumes for {commands.Count} messages");
        Assert.True(consumes.MostAtOnce <= 4, $"{consumes.MostAtOnce} lane consumes at once with 2 turns");
        Assert.Equal(2, gate.HighWater);
    }

    [Fact]
    public async Task Messages_waiting_for_a_turn_go_back_to_the_broker_when_the_worker_stops()
    {
        // They wait in the receive pipe: stopping cancels the wait, and the transport leaves them unacknowledged (not
        // faulted into an error queue, not acknowledged as handled), so the next worker sends them, each once.
        fixture.SimulatorOptions.Latency.Default = ReplyLatency.Parse("100ms±30ms");
        var first = await StartWithTwoTurnsAsync();
        var gate = first.Services.GetRequiredService<SendGate>();
        var commands = Enumerable.Range(0, 40).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (gate.Waiting < 10 && DateTime.UtcNow < deadline)
            await Task.Delay(5, TestContext.Current.CancellationToken);
        var waiting = gate.Waiting;
        Assert.True(waiting >= 10, $"only {waiting} messages waited for a turn");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await fixture.StopWorkerAsync(first);
        var stopped = watch.Elapsed;
        await fixture.StartWorkerAsync("worker-gate-next");
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(90));

        TestContext.Current.TestOutputHelper?.WriteLine($"{waiting} waiting at the stop, which took {stopped.TotalSeconds:F1} s");
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        var unknown = rows.Count(r => r.SendAttempts.Any(a => a.Outcome == AttemptOutcome.Unknown));
        Assert.InRange(fixture.Simulator.Messages.Count, commands.Count, commands.Count + unknown);
        Assert.Equal(0u, await fixture.CountAsync($"{SesWorkerFixture.QueueName}-app-{SesWorkerFixture.AppId}_error"));
        Assert.True(stopped < TimeSpan.FromSeconds(15), $"the stop took {stopped.TotalSeconds:F1} s");
    }

    /// <summary>Publishes <paramref name="commands"/> and runs <paramref name="watch"/> every few milliseconds until each
    /// has its terminal row; returns the rows.</summary>
    private async Task<List<EmailMessage>> SendWatchingAsync(List<SendEmail> commands, Action watch)
    {
        await fixture.PublishRawAsync(commands);
        var terminal = fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));
        while (!terminal.IsCompleted)
        {
            watch();
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        return await terminal;
    }

    /// <summary>A worker whose gate holds 2 turns, fixed, and whose lanes deliver 24 each.</summary>
    private Task<Microsoft.Extensions.Hosting.IHost> StartWithTwoTurnsAsync() => fixture.RestartWorkerAsync("worker-gate", new Dictionary<string, string?>
    {
        ["Worker:MinConcurrentSends"] = "2",
        ["Worker:MaxConcurrentSends"] = "2",
        ["Worker:LaneConcurrency"] = "24",
    });

    /// <summary>Consumes of the lanes' messages in progress (started and not finished), and the most at once.</summary>
    private sealed class LaneConsumes : IConsumeObserver
    {
        private readonly Lock _lock = new();
        private int _now;

        public int Started { get; private set; }

        public int MostAtOnce { get; private set; }

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class
        {
            if (IsLane(context))
            {
                lock (_lock)
                {
                    Started++;
                    MostAtOnce = Math.Max(MostAtOnce, ++_now);
                }
            }

            return Task.CompletedTask;
        }

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class => Finished(context);

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Finished(context);

        private Task Finished(ConsumeContext context)
        {
            if (IsLane(context))
            {
                lock (_lock)
                    _now--;
            }

            return Task.CompletedTask;
        }

        private static bool IsLane(ConsumeContext context) => context.ReceiveContext.InputAddress.AbsolutePath.Contains("-app-", StringComparison.Ordinal);
    }
}
