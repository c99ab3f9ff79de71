using RabbitMQ.Client;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.IntegrationTests.Sending;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator.Counting;

namespace SesWorker.IntegrationTests.Limiting;

[Collection(ServiceBackedTests.Name)]
public sealed class RateLimitTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Three_workers_on_one_appId_never_exceed_twenty_sends_in_any_second_at_the_provider()
    {
        // Worker processes at the default margin: this test is about the limiter's precision, and in-process hosts
        // share one thread pool with the simulator.
        await fixture.StopWorkersAsync();
        var defaults = new Dictionary<string, string?> { ["Ses:RateLimiting:SafetyMargin"] = null };
        await using var a = await WorkerProcess.StartAsync(fixture, "proc-a", defaults);
        await using var b = await WorkerProcess.StartAsync(fixture, "proc-b", defaults);
        await using var c = await WorkerProcess.StartAsync(fixture, "proc-c", defaults);
        // One backlog, measured after its first 100 sends: replicas that have just started run unoptimized code for their
        // first seconds, and on two cores their first sends reach their slots late and move the schedule (9-15 accepted
        // in the first second, 17-19 later). A warm-up drained before the measured batch did not serve: the measured
        // batch then started from idle workers and ramped over its first 2-3 s as well (2, 5, 12, then 19 a second;
        // 13.8-16.4/s over 150 sends, here and at the build before), so the rate says little of the limiter. The
        // window check covers every send.
        var commands = Enumerable.Range(0, 250).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(90));

        var timeline = string.Join(" ", fixture.Simulator.Transactions.Select(t => $"{t.At:ss.fff}{(t.Accepted ? "" : "!")}"));
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.Status} {r.FailureCode}; timeline {timeline}"));
        Assert.Equal(3, rows.Select(r => r.WorkerId).Distinct().Count());
        await Task.WhenAll(a.StopAsync(TimeSpan.FromSeconds(20)), b.StopAsync(TimeSpan.FromSeconds(20)), c.StopAsync(TimeSpan.FromSeconds(20)));
        var transactions = fixture.Simulator.Transactions;
        Assert.DoesNotContain(transactions, t => t.ErrorCode == "RequestLimitExceeded.SmtpRateLimit");
        Assert.InRange(fixture.Simulator.MaxTransactionsInAnyWindow(SesWorkerFixture.AppId, TimeSpan.FromSeconds(1)), 15, 20);
        var accepted = transactions.Where(t => t.Accepted).Select(t => t.At).Order().Skip(100).ToList();
        var rate = ProviderCounts.SustainedRate(accepted);
        var perSecond = accepted.GroupBy(t => (int)(t - accepted[0]).TotalSeconds).OrderBy(g => g.Key).Select(g => g.Count());
        TestContext.Current.TestOutputHelper?.WriteLine($"sustained {rate:F2}/s; accepted per second from the first: {string.Join(" ", perSecond)}");
        Assert.True(rate >= 15, $"sustained {rate:F2}/s");
    }

    [Fact]
    public async Task The_eleventh_mail_to_one_recipient_within_the_hour_is_deferred_not_sent_and_not_failed()
    {
        var commands = Enumerable.Range(0, 11).Select(i => TestMessages.Email(to: "same.person@example.org", subject: $"Update {i}")).ToList();
        foreach (var command in commands.Take(10))
            await fixture.PublishAsync(command);
        await fixture.WaitForTerminalAsync(commands.Take(10).Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(30));

        await fixture.PublishAsync(commands[10]);
        var deferred = await fixture.WaitForStatusAsync(commands[10].EmailId, EmailStatus.Deferred);

        Assert.Equal("SesWorker.RecipientHourlyCap", deferred.FailureCode);
        Assert.Contains("deferred until", deferred.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0, deferred.Attempts);
        Assert.Equal(10, fixture.Simulator.Messages.Count);
        Assert.DoesNotContain(fixture.Simulator.Transactions, t => !t.Accepted);

        // It waits in the longest delay queue that does not overshoot the window (30 minutes of the hour).
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var parked = await QueueChecks.ReadQueueAsync(channel, "send-email-delay-1800s", 1, TimeSpan.FromSeconds(10));
        var message = Assert.Single(parked);
        Assert.Equal("deferred", System.Text.Encoding.UTF8.GetString((byte[])message.BasicProperties.Headers!["sesworker-reason"]!));
    }

    [Fact]
    public async Task Tries_the_provider_refused_do_not_count_against_the_recipients_hourly_cap()
    {
        // The first mail is refused four times (a transient error) and accepted on its fifth try: one mail. Before, each
        // try counted, so five more filled the window and the rest were deferred for an hour.
        const string Recipient = "retried.person@example.org";
        fixture.Simulator.Faults.FailNextWithProviderCode(SesWorker.SmtpSimulator.FaultTarget.Account(SesWorkerFixture.Sender), 4, "InternalError", "internal error");
        var first = TestMessages.Email(to: Recipient, subject: "First");
        await fixture.PublishAsync(first);
        var firstRow = await fixture.WaitForTerminalAsync(first.EmailId, TimeSpan.FromSeconds(60));
        Assert.Equal(EmailStatus.Sent, firstRow.Status);
        Assert.Equal(5, firstRow.Attempts);

        var more = Enumerable.Range(0, 9).Select(i => TestMessages.Email(to: Recipient, subject: $"Update {i}")).ToList();
        foreach (var command in more)
            await fixture.PublishAsync(command);
        var rows = await fixture.WaitForTerminalAsync(more.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(30));

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.Status} {r.FailureCode}"));
        Assert.Equal(10, fixture.Simulator.Messages.Count);

        // The eleventh is the cap's.
        var eleventh = TestMessages.Email(to: Recipient, subject: "Eleventh");
        await fixture.PublishAsync(eleventh);
        var deferred = await fixture.WaitForStatusAsync(eleventh.EmailId, EmailStatus.Deferred);
        Assert.Equal("SesWorker.RecipientHourlyCap", deferred.FailureCode);
    }
}
