using RabbitMQ.Client;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.IntegrationTests.Sending;
using SesWorker.Persistence.History;

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
        foreach (var host in fixture.Workers.ToArray())
            await fixture.StopWorkerAsync(host);
        var defaults = new Dictionary<string, string?> { ["Ses:RateLimiting:SafetyMargin"] = null };
        await using var a = await WorkerProcess.StartAsync(fixture, "proc-a", defaults);
        await using var b = await WorkerProcess.StartAsync(fixture, "proc-b", defaults);
        await using var c = await WorkerProcess.StartAsync(fixture, "proc-c", defaults);
        var commands = Enumerable.Range(0, 150).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        var timeline = string.Join(" ", fixture.Simulator.Transactions.Select(t => $"{t.At:ss.fff}{(t.Accepted ? "" : "!")}"));
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.Status} {r.FailureCode}; timeline {timeline}"));
        Assert.Equal(3, rows.Select(r => r.WorkerId).Distinct().Count());
        await Task.WhenAll(a.StopAsync(TimeSpan.FromSeconds(20)), b.StopAsync(TimeSpan.FromSeconds(20)), c.StopAsync(TimeSpan.FromSeconds(20)));
        var transactions = fixture.Simulator.Transactions;
        Assert.DoesNotContain(transactions, t => t.ErrorCode == "RequestLimitExceeded.SmtpRateLimit");
        Assert.InRange(fixture.Simulator.MaxTransactionsInAnyWindow(SesWorkerFixture.AppId, TimeSpan.FromSeconds(1)), 15, 20);
        var accepted = transactions.Where(t => t.Accepted).Select(t => t.At).Order().ToList();
        var rate = (accepted.Count - 1) / (accepted[^1] - accepted[0]).TotalSeconds;
        TestContext.Current.TestOutputHelper?.WriteLine($"sustained {rate:F2}/s");
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

}
