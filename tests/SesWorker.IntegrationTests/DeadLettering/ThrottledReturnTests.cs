using Microsoft.EntityFrameworkCore;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;

namespace SesWorker.IntegrationTests.DeadLettering;

[Collection(ServiceBackedTests.Name)]
public sealed class ThrottledReturnTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_message_the_provider_throttled_comes_back_by_itself_and_is_sent()
    {
        var command = TestMessages.Email();
        fixture.Simulator.Faults.FailNextWithProviderCode(FaultTarget.Recipient(command.To![0].Address), 1,
            "RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit");

        await fixture.PublishAsync(command);

        // The fixture's rate-limited delay is 3 s: the queue's TTL hands it back to send-email.
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (row.Status != EmailStatus.Sent && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            row = await fixture.WaitForTerminalAsync(command.EmailId);
        }

        Assert.Equal(EmailStatus.Sent, row.Status);
        Assert.Equal(2, row.Attempts);
        var attempts = row.SendAttempts.OrderBy(a => a.AttemptNumber).ToList();
        Assert.Equal("rate_limited", attempts[0].Outcome);
        Assert.Equal("RequestLimitExceeded.SmtpRateLimit", attempts[0].ProviderCode);
        Assert.NotNull(attempts[0].RequestId);
        Assert.Equal("sent", attempts[1].Outcome);
        Assert.Single(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task The_daily_quota_pauses_the_appId_for_every_message_until_the_providers_next_day()
    {
        try
        {
            var first = TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender);
            var second = TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender);
            fixture.Simulator.Faults.FailNextWithProviderCode(FaultTarget.Account(SesWorkerFixture.SecondSender), 1,
                "FailedOperation.ExceedSendLimit", "The number of emails exceeds the daily sending limit.");

            var publishedAt = DateTimeOffset.UtcNow;
            await fixture.PublishAsync(first);
            var paused = await fixture.WaitForStatusAsync(first.EmailId, EmailStatus.Deferred);
            await fixture.PublishAsync(second);
            var alsoPaused = await fixture.WaitForStatusAsync(second.EmailId, EmailStatus.Deferred);
            var other = TestMessages.Email();
            await fixture.PublishAsync(other);

            Assert.Equal("FailedOperation.ExceedSendLimit", paused.FailureCode);
            Assert.Equal(1, paused.Attempts);
            Assert.Contains("next day", paused.FailureMessage, StringComparison.Ordinal);
            Assert.Equal("FailedOperation.ExceedSendLimit", alsoPaused.FailureCode);
            Assert.Equal(0, alsoPaused.Attempts);
            // One call reached the provider; the second message cost none. Another appId is not affected.
            Assert.Equal(EmailStatus.Sent, (await fixture.WaitForTerminalAsync(other.EmailId)).Status);
            Assert.Single(fixture.Simulator.Transactions, t => t.AppId == SesWorkerFixture.SecondAppId);

            await using var db = fixture.CreateDbContext();
            // A logged row of its own (it survives a crash), on the database's clock.
            var until = await db.Database.SqlQuery<DateTimeOffset>($"SELECT until AS \"Value\" FROM app_pauses WHERE app_id = '2000'").SingleAsync();
            // The provider's next day from when the pause was taken (a run across 16:00 UTC crosses Beijing's midnight).
            // In the first minutes of Beijing's day, a couple of minutes instead (ProviderDay.SpentUntil).
            Assert.True(until == BeijingMidnightAfter(publishedAt) || until == BeijingMidnightAfter(DateTimeOffset.UtcNow)
                || (SesWorker.Core.Sending.ProviderDay.SpentUntil(DateTimeOffset.UtcNow) < SesWorker.Core.Sending.ProviderDay.NextStart(DateTimeOffset.UtcNow)
                && until <= DateTimeOffset.UtcNow + SesWorker.Core.Sending.ProviderDay.GraceWait), $"paused until {until:O}");
        }
        finally
        {
            // The worker remembers the pause in memory too: start a fresh one for the tests that follow.
            await fixture.StopWorkerAsync(fixture.Worker);
            await fixture.StartWorkerAsync("worker-a");
        }
    }

    private static DateTimeOffset BeijingMidnightAfter(DateTimeOffset moment) =>
        new(moment.ToOffset(TimeSpan.FromHours(8)).Date.AddDays(1), TimeSpan.FromHours(8));
}
