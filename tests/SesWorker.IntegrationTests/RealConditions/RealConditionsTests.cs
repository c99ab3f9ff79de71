using System.Diagnostics;
using MimeKit;
using Npgsql;
using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;
using SesWorker.SmtpSimulator.Counting;
using SesWorker.SmtpSimulator.Latency;

namespace SesWorker.IntegrationTests.RealConditions;

/// <summary>
/// The conditions users have, with worker processes (not in-process hosts): a provider one round trip away with
/// jitter, one appId's backlog in front of another's, a replica killed with SIGKILL, a database that freezes.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class RealConditionsTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly ReplyLatency Realistic = ReplyLatency.Parse("100ms±30ms");
    private static readonly string[] ThreeAppIds = [SesWorkerFixture.AppId, SesWorkerFixture.SecondAppId, SesWorkerFixture.ThirdAppId];
    private readonly List<WorkerProcess> _workers = [];
    private readonly ProcessStalls _stalls = ProcessStalls.Start(TimeSpan.FromMilliseconds(15));

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        // Only worker processes here.
        await fixture.StopWorkersAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
            await worker.DisposeAsync();
        await _stalls.DisposeAsync();
    }

    [Fact]
    public async Task Killing_one_of_three_workers_loses_nothing_and_its_emails_are_taken_over_within_seconds()
    {
        fixture.SimulatorOptions.Latency.Default = Realistic;
        var workers = new[] { await StartAsync("proc-a"), await StartAsync("proc-b"), await StartAsync("proc-c") };
        var commands = Spread(120);
        await fixture.PublishRawAsync(commands);
        await fixture.Simulator.WaitForMessagesAsync(60, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var victim = workers[0];
        // Killed while it holds claims: a worker between two sends would leave nothing to take over.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((await ClaimedByAsync(victim.WorkerId)).Count == 0 && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(20, TestContext.Current.CancellationToken);
        victim.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var orphans = await ClaimedByAsync(victim.WorkerId);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.NotEmpty(orphans);
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        AssertNoDuplicatesButUnknown(rows);
        // The survivors never stopped: the longest silence at the provider after the kill.
        var accepted = fixture.Simulator.Messages.Select(m => m.ReceivedAt).Where(t => t >= killedAt).Order().ToList();
        var pause = accepted.Zip(accepted.Skip(1), (a, b) => b - a).DefaultIfEmpty().Max();
        Assert.True(pause <= TimeSpan.FromSeconds(5), $"the flow paused {pause.TotalSeconds:F1} s after the kill");
        // What the dead worker held was taken over, and finished, within 15 s.
        var takeover = TakeoverTime(rows, orphans, killedAt);
        // The margins, for the record of a passing run too (the test report keeps this output).
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"after the kill: longest pause {pause.TotalSeconds:F2} s; the dead worker's {orphans.Count} claims finished within {takeover.TotalSeconds:F1} s");
        Assert.True(takeover <= TimeSpan.FromSeconds(15), $"{orphans.Count} claims of the dead worker finished {takeover.TotalSeconds:F1} s after the kill");
        foreach (var appId in ThreeAppIds)
        {
            AssertAtMostTwentyInAnySecond(appId, CountPoint.MailFrom);
            AssertAtMostTwentyInAnySecond(appId, CountPoint.EndOfData);
        }
    }

    [Fact]
    public async Task Killing_a_worker_while_its_intake_sends_attachments_loses_none_of_them()
    {
        // Bodies over Worker:LaneMaxBodyBytes (64 KiB) are sent by the intake from the delivery it holds, unacknowledged
        // until the outcome is recorded: a worker killed meanwhile leaves them to the broker and its claims to the others.
        fixture.SimulatorOptions.Latency.Default = Realistic;
        var workers = new[] { await StartAsync("proc-a"), await StartAsync("proc-b") };
        var commands = new[] { SesWorkerFixture.AppId, SesWorkerFixture.SecondAppId }
            .SelectMany(app => Enumerable.Range(0, 20).Select(_ => TestMessages.WithAttachments(app, SesWorkerFixture.SenderOf(app), 300_000)))
            .OrderBy(_ => Random.Shared.Next()).ToList();
        await fixture.PublishRawAsync(commands);

        var victim = workers[0];
        // Killed while it holds claims: mid-send (between its claim and its outcome).
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((await ClaimedByAsync(victim.WorkerId)).Count == 0 && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(20, TestContext.Current.CancellationToken);
        victim.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var orphans = await ClaimedByAsync(victim.WorkerId);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.NotEmpty(orphans);
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        AssertNoDuplicatesButUnknown(rows);
        var takeover = TakeoverTime(rows, orphans, killedAt);
        TestContext.Current.TestOutputHelper?.WriteLine($"the dead worker's {orphans.Count} claims (attachments) finished within {takeover.TotalSeconds:F1} s");
        Assert.True(takeover <= TimeSpan.FromSeconds(15), $"{orphans.Count} claims of the dead worker finished {takeover.TotalSeconds:F1} s after the kill");
    }

    [Fact]
    public async Task An_appId_published_behind_two_thousand_of_another_is_sent_within_seconds()
    {
        fixture.SimulatorOptions.Latency.Default = Realistic;
        await StartAsync("proc-a");

        // A worker just started: the JIT compiles the whole path while the intake works through the backlog, and appId
        // B's first send opens its SMTP connection. 3.9-4.6 s in CI on this machine (before the lanes the 10 waited for the
        // whole backlog, about 100 s); 8.6-10.1 s run alone with a busy loop on one of its two cores.
        var cold = await BehindABacklogAsync();

        // The same worker once it has run a few seconds more, as a replica that has been running: the target is all 10
        // sent within 3 s. Right after the first pass the JIT is still compiling the intake's path at its final tier in
        // the background (the last accepted 2.9-3.1 s after the publish then); from 5 s later 1.6-2.2 s on a quiet
        // machine and in CI. A's first backlog is still in its lane (20 a second); the new one goes behind it.
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        var warm = await BehindABacklogAsync();

        Assert.True(cold <= TimeSpan.FromSeconds(8), $"appId {SesWorkerFixture.SecondAppId}'s 10 emails were sent {cold.TotalSeconds:F2} s after their publish, behind a backlog of 2,000, on a worker just started");
        Assert.True(warm <= TimeSpan.FromSeconds(3), $"appId {SesWorkerFixture.SecondAppId}'s 10 emails were sent {warm.TotalSeconds:F2} s after their publish, behind a backlog of 2,000, on a running worker");
    }

    /// <summary>
    /// Publishes 2,000 emails of appId A and then 10 of appId B; once B's are recorded sent, returns how long after their
    /// publish the provider had accepted the last of them (the simulator's clock: the history row comes up to a few hundred
    /// ms later, its outcome written and then polled).
    /// </summary>
    private async Task<TimeSpan> BehindABacklogAsync()
    {
        var backlog = Enumerable.Range(0, 2000).Select(_ => TestMessages.Email(SesWorkerFixture.AppId)).ToList();
        await fixture.PublishRawAsync(backlog);
        var small = Enumerable.Range(0, 10).Select(_ => TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender)).ToList();
        var publishedAt = DateTimeOffset.UtcNow;
        await fixture.PublishRawAsync(small);

        var rows = await fixture.WaitForTerminalAsync(small.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(30));

        var recorded = DateTimeOffset.UtcNow - publishedAt;
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        var accepted = fixture.Simulator.Messages.Where(m => m.AppId == SesWorkerFixture.SecondAppId && m.ReceivedAt >= publishedAt)
            .Select(m => m.ReceivedAt - publishedAt).Order().ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"appId {SesWorkerFixture.SecondAppId}'s 10 emails accepted at the provider {accepted[0].TotalSeconds:F2}-{accepted[^1].TotalSeconds:F2} s after their publish, recorded sent by {recorded.TotalSeconds:F2} s");
        Assert.Equal(small.Count, accepted.Count);
        return accepted[^1];
    }

    [Fact]
    public async Task A_worker_with_many_connections_to_a_provider_300ms_away_stops_cleanly_within_seconds()
    {
        // Three busy appIds at 300 ms per reply keep dozens of connections in the pool. Closed one after another, each
        // QUIT waiting for its reply, they took longer than the whole stop may (20 s and 3 of grace): the process ended
        // itself with SIGKILL on every stop (exit 137, "the stop overran").
        fixture.SimulatorOptions.Latency.Default = ReplyLatency.Parse("300ms±100ms");
        var worker = await StartAsync("proc-a");
        var commands = Spread(40);
        await fixture.PublishRawAsync(commands);
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(90));
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        var connections = fixture.Simulator.Transactions.Select(t => t.ConnectionId).Distinct(StringComparer.Ordinal).Count();

        var watch = Stopwatch.StartNew();
        await worker.StopAsync(TimeSpan.FromSeconds(60));
        var stopped = watch.Elapsed;

        TestContext.Current.TestOutputHelper?.WriteLine($"{connections} SMTP connections pooled; the stop took {stopped.TotalSeconds:F1} s, exit code {worker.ExitCode}");
        Assert.True(connections >= 30, $"only {connections} connections were opened: the test needs many to show anything");
        Assert.Equal(0, worker.ExitCode);
        Assert.True(stopped <= TimeSpan.FromSeconds(8), $"the stop took {stopped.TotalSeconds:F1} s with {connections} connections open");
    }

    [Fact]
    public async Task A_provider_100ms_away_with_jitter_keeps_its_rate_and_never_gets_more_than_twenty()
    {
        fixture.SimulatorOptions.Latency.Default = Realistic;
        await StartAsync("proc-a");
        await StartAsync("proc-b");
        var measuredFrom = await WarmUpAsync();
        var commands = Enumerable.Range(0, 300).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        var times = fixture.Simulator.Counts.Times(SesWorkerFixture.AppId, CountPoint.EndOfData);
        // From the batch's 40th send: its first second is a ramp from idle (3-10 accepted in it, the first end of DATA
        // 0.4-0.6 s after the publish: a lead), which says nothing of the pace.
        var measured = times.Where(t => t >= measuredFrom).Skip(40).ToList();
        var rate = ProviderCounts.SustainedRate(measured);
        // The target is at least 19 sends/s. The default margin (2.5%) allows 19.5/s; this machine measured
        // 18.7-19.3/s in runs of 2026-11-29, so the bound keeps about a send a second for a busy CI machine: the cap
        // below is what must never give. Before the paced slots it was 2.8/s. What lowers it is a loaded moment: replicas
        // whose MAIL FROMs went out over an interval late took fresh slots (one CI run had a 1.4 s gap, 17.57/s).
        var perSecond = measured.GroupBy(t => (int)(t - measured[0]).TotalSeconds).OrderBy(g => g.Key).Select(g => g.Count());
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sustained {rate:F2}/s; per second {string.Join(" ", perSecond)}; {TightestSecond(SesWorkerFixture.AppId)}");
        Assert.True(rate >= 18, $"sustained {rate:F2}/s; per second {string.Join(" ", perSecond)}; gaps over 100 ms: {Gaps(measured)}; " +
            $"the simulator's process stalled {_stalls.Within(measured[0], measured[^1]).Count} times meanwhile");
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.MailFrom);
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.EndOfData);
        Assert.DoesNotContain(fixture.Simulator.Transactions, t => !t.Accepted);
    }

    /// <summary>
    /// A provider reached over a thin link (2 MB/s a connection): a message with an 800 KB attachment reaches it about
    /// 0.4 s after its first bytes, and the provider counts it at its end of DATA, in the second of the twenty calls after
    /// it. Each such slot is recorded as counted its transfer later (Ses:RateLimiting:UploadBytesPerSecond), so the slot a
    /// second's worth later keeps its span from that end. Without it (0) the simulator counted 21 in a second and throttled.
    /// </summary>
    [Fact]
    public async Task Large_messages_over_a_thin_link_are_counted_at_their_end_of_DATA_and_never_make_twenty_one_in_a_second()
    {
        fixture.SimulatorOptions.DataBytesPerSecond = 2_000_000;
        var worker = await WorkerProcess.StartAsync(fixture, "proc-a", new Dictionary<string, string?>
        {
            ["Ses:RateLimiting:SafetyMargin"] = null,
            ["Ses:RateLimiting:UploadBytesPerSecond"] = "2000000",
        });
        _workers.Add(worker);
        var commands = Enumerable.Range(0, 200)
            .Select(i => i % 8 == 3 ? TestMessages.WithAttachments(SesWorkerFixture.AppId, SesWorkerFixture.Sender, 600_000) : TestMessages.Email())
            .ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        var refused = fixture.Simulator.Transactions.Where(t => !t.Accepted).Select(t => t.ErrorCode).ToList();
        var times = fixture.Simulator.Counts.Times(SesWorkerFixture.AppId, CountPoint.EndOfData);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{times.Count} ends of DATA at {ProviderCounts.SustainedRate(times):F2}/s; {TightestSecond(SesWorkerFixture.AppId)}; refused: {refused.Count}");
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.EndOfData);
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.MailFrom);
        Assert.Empty(refused);
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
    }

    [Fact]
    public async Task One_reply_in_fifty_held_thirty_seconds_does_not_hold_up_the_others()
    {
        fixture.SimulatorOptions.Latency.Default = Realistic;
        fixture.SimulatorOptions.Latency.HoldEveryNthEndOfData = 50;
        fixture.SimulatorOptions.Latency.HoldFor = TimeSpan.FromSeconds(30);
        await StartAsync("proc-a");
        var measuredFrom = await WarmUpAsync();
        var commands = Enumerable.Range(0, 200).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);

        // The held ones are counted (and kept) by the provider at the end of DATA; their replies come 30 s later.
        var received = await fixture.Simulator.WaitForMessagesAsync(320, TimeSpan.FromSeconds(25), TestContext.Current.CancellationToken);

        var times = received.Select(m => m.ReceivedAt).Where(t => t >= measuredFrom).Order().ToList();
        var rate = ProviderCounts.SustainedRate(times);
        // The target: the others keep flowing at 18/s or more; this machine measures 19.34-19.48/s. Before, nothing else
        // was sent while a reply was held.
        TestContext.Current.TestOutputHelper?.WriteLine($"sustained {rate:F2}/s; gaps over 100 ms: {Gaps(times)}");
        Assert.True(rate >= 18, $"sustained {rate:F2}/s with 1 reply in 50 held 30 s; gaps over 100 ms: {Gaps(times)}");
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.MailFrom);
        AssertAtMostTwentyInAnySecond(SesWorkerFixture.AppId, CountPoint.EndOfData);
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
    }

    [Fact]
    public async Task A_database_frozen_for_fifteen_seconds_resumes_within_five_and_nothing_is_lost_or_sent_twice()
    {
        await StartAsync("proc-a");
        await StartAsync("proc-b");
        var commands = Enumerable.Range(0, 400).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);
        await fixture.Simulator.WaitForMessagesAsync(40, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        await fixture.FreezePostgresAsync();
        var thawedAt = await RestoreAfterAsync(TimeSpan.FromSeconds(15), fixture.ThawPostgresAsync);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        AssertNoDuplicatesButUnknown(rows);
        var firstAfter = fixture.Simulator.Messages.Select(m => m.ReceivedAt).Where(t => t > thawedAt).Order().First();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"sending resumed {(firstAfter - thawedAt).TotalSeconds:F2} s after the database did; {rows.Count} of {commands.Count} sent");
        Assert.True(firstAfter - thawedAt <= TimeSpan.FromSeconds(5), $"sending resumed {(firstAfter - thawedAt).TotalSeconds:F1} s after the database did");
    }

    [Fact]
    public async Task A_worker_stopped_mid_backlog_as_in_a_rolling_deploy_finishes_its_sends_and_hands_the_rest_over()
    {
        // SIGTERM, as an orchestrator stops a replica: the stopping worker finishes the transactions it has begun and
        // gives back what it holds unsent; the other goes on and sends those. Nothing is recorded unknown.
        fixture.SimulatorOptions.Latency.Default = Realistic;
        var stopping = await StartAsync("proc-a");
        await StartAsync("proc-b");
        var commands = Spread(150);
        await fixture.PublishRawAsync(commands);
        await fixture.Simulator.WaitForMessagesAsync(60, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var stoppedAt = DateTimeOffset.UtcNow;
        await stopping.StopAsync(TimeSpan.FromSeconds(60));
        var took = DateTimeOffset.UtcNow - stoppedAt;
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        var accepted = fixture.Simulator.Messages.Select(m => m.ReceivedAt).Order().ToList();
        var after = accepted.Where(t => t >= stoppedAt).ToList();
        var pause = after.Zip(after.Skip(1), (a, b) => b - a).DefaultIfEmpty().Max();
        var unknown = rows.Count(r => r.SendAttempts.Any(a => a.Outcome == AttemptOutcome.Unknown));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"the stop took {took.TotalSeconds:F1} s, exit code {stopping.ExitCode}; {after.Count} accepted after it began, longest pause {pause.TotalSeconds:F2} s; " +
            $"{unknown} recorded unknown, {accepted.Count} accepted in all");
        Assert.Equal(0, stopping.ExitCode);
        Assert.True(after.Count > 0, "the backlog was done before the stop: nothing was tested");
        Assert.Equal(0, unknown);
        Assert.Equal(commands.Count, accepted.Count);
        Assert.True(pause <= TimeSpan.FromSeconds(5), $"the flow paused {pause.TotalSeconds:F1} s after the stop began");
        Assert.True(took <= TimeSpan.FromSeconds(20), $"the stop took {took.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task A_broker_restart_mid_backlog_loses_nothing_and_sends_nothing_twice()
    {
        // RabbitMQ goes away under two workers busy with three appIds, and comes back 5 s later: every connection
        // drops, sends in flight finish at the provider but cannot be acknowledged, and the broker delivers them again.
        fixture.SimulatorOptions.Latency.Default = Realistic;
        // A subscriber's queue for the outcome events, durable so that it outlives the restart.
        var events = $"broker-restart-events-{Guid.NewGuid():N}";
        await using (var connection = await fixture.ConnectRabbitMqAsync())
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            await channel.ExchangeDeclareAsync("SesWorker.Contracts:EmailSent", ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueDeclareAsync(events, durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(events, "SesWorker.Contracts:EmailSent", string.Empty);
        }

        await StartAsync("proc-a");
        await StartAsync("proc-b");
        var commands = Spread(200);
        await fixture.PublishRawAsync(commands);
        await fixture.Simulator.WaitForMessagesAsync(60, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        // The broker's stop takes a few seconds (its connections go last): the workers send meanwhile.
        var stopping = DateTimeOffset.UtcNow;
        await fixture.StopRabbitMqAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        var backAt = await RestoreAfterAsync(TimeSpan.FromSeconds(5), fixture.StartRabbitMqAsync);

        // Published after the restart: the intake and its forwards to the lanes work again too.
        var later = Spread(20);
        await fixture.PublishRawAsync(later);
        commands.AddRange(later);
        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        AssertNoDuplicatesButUnknown(rows);
        var accepted = fixture.Simulator.Messages.Select(m => m.ReceivedAt).Order().ToList();
        var duringOutage = accepted.Count(t => t >= stoppedAt && t < backAt);
        var afterwards = accepted.Count(t => t >= backAt);
        var unknown = rows.Count(r => r.SendAttempts.Any(a => a.Outcome == AttemptOutcome.Unknown));
        Assert.True(afterwards > 0, $"all {accepted.Count} were sent before the broker came back: the test saw no restart");
        var firstAfter = accepted.First(t => t >= backAt);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"the broker's stop took {(stoppedAt - stopping).TotalSeconds:F1} s; {duringOutage} accepted while it was away, {afterwards} after; " +
            $"sending resumed {(firstAfter - backAt).TotalSeconds:F2} s after it was back; {unknown} recorded unknown, {accepted.Count} accepted in all");
        // The transactions in flight when the connection dropped finished and were recorded: their redeliveries found
        // them done. (Cut short with their consumes, 25-55 ended unknown and 3-7 reached the provider twice.)
        Assert.Equal(0, unknown);
        Assert.Equal(commands.Count, accepted.Count);
        Assert.True(firstAfter - backAt <= TimeSpan.FromSeconds(10), $"sending resumed {(firstAfter - backAt).TotalSeconds:F1} s after the broker did");
        // Every email's EmailSent reached the broker at least once: a copy redelivered after its send publishes it again
        // (before, the events of the sends that finished while the connection was down were lost).
        var published = await EventIdsAsync(events, commands.Count);
        var missing = commands.Count(c => !published.Contains(c.EmailId));
        TestContext.Current.TestOutputHelper?.WriteLine($"{published.Count} distinct EmailSent events; {missing} emails without one");
        Assert.Equal(0, missing);
        foreach (var appId in ThreeAppIds)
        {
            AssertAtMostTwentyInAnySecond(appId, CountPoint.MailFrom);
            AssertAtMostTwentyInAnySecond(appId, CountPoint.EndOfData);
        }
    }

    /// <summary>The emailIds of the EmailSent events in <paramref name="queue"/> (deleted afterwards), once all are there.</summary>
    private async Task<HashSet<Guid>> EventIdsAsync(string queue, int expected)
    {
        var ids = new HashSet<Guid>();
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (ids.Count < expected && DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
            {
                using var json = System.Text.Json.JsonDocument.Parse(delivery.Body);
                ids.Add(json.RootElement.GetProperty("message").GetProperty("emailId").GetGuid());
                continue;
            }

            await Task.Delay(100);
        }

        await channel.QueueDeleteAsync(queue);
        return ids;
    }

    /// <summary>
    /// 120 emails first, so the measured ones do not include the workers' first seconds (the JIT compiling the whole
    /// path, the first TLS connections); returns when the measured part begins. The limiter's checks hold for these too.
    /// </summary>
    private async Task<DateTimeOffset> WarmUpAsync()
    {
        var warmUp = Enumerable.Range(0, 120).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(warmUp);
        await fixture.Simulator.WaitForMessagesAsync(120, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return DateTimeOffset.UtcNow;
    }

    private async Task<WorkerProcess> StartAsync(string workerId)
    {
        // The default margin: these tests are about the limiter's precision under real conditions.
        var worker = await WorkerProcess.StartAsync(fixture, workerId, new Dictionary<string, string?> { ["Ses:RateLimiting:SafetyMargin"] = null });
        _workers.Add(worker);
        return worker;
    }

    /// <summary>At most 20 in any 1 s window at the simulator; on failure, the densest window's spacing.</summary>
    private void AssertAtMostTwentyInAnySecond(string appId, CountPoint point)
    {
        var times = fixture.Simulator.Counts.Times(appId, point);
        var max = ProviderCounts.MaxInAnyWindow(times, TimeSpan.FromSeconds(1));
        Assert.True(max is >= 1 and <= 20, $"{max} at {point} in one second: {DensestSecond(times)}; {StallsIn(times)}");
    }

    /// <summary>
    /// How close the limit came: the shortest span of 21 consecutive counts at each point (over 1,000 ms is within the
    /// rule; the margin's share, at 19.5/s, is 1,026 ms).
    /// </summary>
    private string TightestSecond(string appId) => string.Join("; ", new[] { CountPoint.MailFrom, CountPoint.EndOfData }.Select(point =>
    {
        var span = fixture.Simulator.Counts.TightestSpan(appId, point, 21);
        return $"tightest 21 at {point}: {span?.TotalMilliseconds ?? double.NaN:F0} ms";
    }));

    private static string DensestSecond(IReadOnlyList<DateTimeOffset> times)
    {
        var window = ProviderCounts.DensestWindow(times, TimeSpan.FromSeconds(1));
        return window.Count == 0 ? "none" : $"from {window[0]:HH:mm:ss.fff}, gaps (ms) " +
            string.Join(" ", window.Zip(window.Skip(1), (a, b) => ((b - a).TotalMilliseconds).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private string StallsIn(IReadOnlyList<DateTimeOffset> times)
    {
        var window = ProviderCounts.DensestWindow(times, TimeSpan.FromSeconds(1));
        var stalls = window.Count == 0 ? [] : _stalls.Within(window[0], window[^1]);
        return $"the simulator's process stalled {stalls.Count} times in that window (" +
            string.Join(" ", stalls.Select(s => $"{s.From:ss.fff}+{s.Length.TotalMilliseconds:F0}ms")) + $"), {_stalls.Stalls.Count} times in the test";
    }

    private static string Gaps(IReadOnlyList<DateTimeOffset> times) => string.Join(", ", times.Zip(times.Skip(1))
        .Where(p => p.Second - p.First > TimeSpan.FromMilliseconds(100))
        .Select(p => $"{p.First:ss.fff}+{(p.Second - p.First).TotalMilliseconds:F0}"));

    /// <summary>An outage of <paramref name="length"/>, ended by <paramref name="restore"/> even if the wait is cut short;
    /// returns when the service was back.</summary>
    private static async Task<DateTimeOffset> RestoreAfterAsync(TimeSpan length, Func<Task> restore)
    {
        try
        {
            await Task.Delay(length, TestContext.Current.CancellationToken);
        }
        finally
        {
            await restore();
        }

        return DateTimeOffset.UtcNow;
    }

    /// <summary><paramref name="perApp"/> emails for each of the three appIds, in random order.</summary>
    private static List<SendEmail> Spread(int perApp) => ThreeAppIds
        .SelectMany(app => Enumerable.Range(0, perApp).Select(_ => TestMessages.Email(app, SesWorkerFixture.SenderOf(app))))
        .OrderBy(_ => Random.Shared.Next()).ToList();

    /// <summary>Each email reached the provider once, unless its history says the provider may have had it already.</summary>
    private void AssertNoDuplicatesButUnknown(List<EmailMessage> rows)
    {
        var copies = fixture.Simulator.Messages
            .GroupBy(m => MimeMessage.Load(new MemoryStream(m.Data)).MessageId ?? string.Empty)
            .ToDictionary(g => g.Key, g => g.Count());
        foreach (var row in rows)
        {
            var count = copies.GetValueOrDefault(row.MessageId ?? string.Empty);
            Assert.True(count >= 1, $"{row.EmailId} is sent but never reached the provider");
            if (count > 1)
                Assert.True(row.SendAttempts.Any(a => a.Outcome == AttemptOutcome.Unknown), $"{row.EmailId} reached the provider {count} times without an unknown attempt");
        }
    }

    /// <summary>From the kill until the last of the dead worker's claims had its terminal row (zero if it held none).</summary>
    private static TimeSpan TakeoverTime(IEnumerable<EmailMessage> rows, HashSet<Guid> orphans, DateTimeOffset killedAt) =>
        rows.Where(r => orphans.Contains(r.EmailId)).Select(r => r.CompletedAt!.Value - killedAt).DefaultIfEmpty().Max();

    private async Task<HashSet<Guid>> ClaimedByAsync(string workerId)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT email_id FROM email_messages WHERE left(worker_id, -7) = $1 AND status = 'sending'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<Guid>();
        while (await reader.ReadAsync())
            ids.Add(reader.GetGuid(0));
        return ids;
    }
}
