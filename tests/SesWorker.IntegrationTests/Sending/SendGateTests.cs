using Microsoft.Extensions.DependencyInjection;
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

        await fixture.PublishRawAsync(commands);
        var sawWaiting = false;
        var terminal = fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));
        while (!terminal.IsCompleted)
        {
            sawWaiting |= gate.Waiting > 0;
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var rows = await terminal;
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        Assert.Equal(commands.Count, fixture.Simulator.Messages.Count);
        // The lanes delivered more than the gate let through at once: the rest waited their turn.
        Assert.True(sawWaiting, "no message ever waited for a turn");
        Assert.Equal(4, gate.HighWater);
        Assert.Equal(0, gate.InUse);
    }
}
