using System.Diagnostics;
using Npgsql;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.Persistence.Workers;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// A copy of an email that another worker holds (RabbitMQ redelivers a dead worker's unacknowledged messages at once)
/// waits for the claim in the held queue, ahead of every backlog, and is sent as soon as the owner counts as gone.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class HeldCopyTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan TakeoverAfter = TimeSpan.FromSeconds(8);

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_dead_workers_email_is_sent_once_its_heartbeat_is_stale_not_behind_its_appIds_backlog()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var dataSource = NpgsqlDataSource.Create(fixture.DatabaseConnectionString);
        var orphan = TestMessages.Email();
        // A worker that claimed the email, beat once and died.
        await new WorkerHeartbeats(dataSource).BeatAsync("dead-worker", ct);
        var claim = await new EmailStore(dataSource, TimeProvider.System).ClaimAsync(orphan, "dead-worker", TakeoverAfter, takeOverSilentOwners: true, allowDeadLettered: false, ct);
        Assert.Equal(ClaimState.Claimed, claim.State);
        // About 18 s of sending for the appId at the fixture's 17/s.
        var backlog = Enumerable.Range(0, 300).Select(_ => TestMessages.Email()).ToList();

        var clock = Stopwatch.StartNew();
        // Ahead of the backlog, as RabbitMQ puts a dead consumer's message back.
        await fixture.PublishRawAsync([orphan]);
        await fixture.PublishRawAsync(backlog);
        var row = await fixture.WaitForTerminalAsync(orphan.EmailId, TimeSpan.FromSeconds(60));
        var tookOver = clock.Elapsed;
        var backlogSent = fixture.Simulator.Messages.Count(m => m.RcptTo[0] != orphan.To![0].Address);

        TestContext.Current.TestOutputHelper?.WriteLine($"taken over after {tookOver.TotalSeconds:F1} s, with {backlogSent} of the backlog sent");
        Assert.Equal(EmailStatus.Sent, row.Status);
        // Gone 8 s after its beat; the copy looked every second. Before the held queue it went round a delay queue into
        // the intake and the lane again, behind the backlog: about 18 s.
        Assert.True(tookOver < TakeoverAfter + TimeSpan.FromSeconds(5), $"taken over after {tookOver.TotalSeconds:F1} s");
        Assert.True(backlogSent < backlog.Count - 50, $"sent after {backlogSent} of the backlog's {backlog.Count}");
        var rows = await fixture.WaitForTerminalAsync(backlog.Select(m => m.EmailId).ToList(), TimeSpan.FromSeconds(90));
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        Assert.Single(fixture.Simulator.Messages, m => m.RcptTo[0] == orphan.To![0].Address);
    }
}
