using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;

namespace SesWorker.IntegrationTests.Failures;

/// <summary>
/// Failures that may pass: 4xx replies, the provider's transient codes, lost replies, refused connections, slow replies.
/// The fixture's worker retries after 200 ms doubling up to 1 s (Worker:RetryBaseDelay/RetryMaxDelay), at most
/// Worker:MaxAttempts (5) SMTP attempts per email.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class TransientFailureTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const int MaxAttempts = 5;
    private static readonly FaultTarget Sender = FaultTarget.Account(SesWorkerFixture.Sender);

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_451_once_is_retried_and_the_email_is_sent_once()
    {
        fixture.Simulator.Faults.FailNext(Sender, 1, 451, "4.3.0", "Error: queue file write error, try again later");
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        AssertSent(row, attempts: 2);
        var first = row.AttemptsInOrder()[0];
        Assert.Equal("transient", first.Outcome);
        Assert.Equal(451, first.SmtpStatus);
        Assert.Equal("4.3.0", first.EnhancedCode);
        Assert.Equal("SesWorker.SmtpTransient", first.ProviderCode);
        Assert.Null(first.RequestId);
        Assert.StartsWith("451 4.3.0", first.SmtpReply, StringComparison.Ordinal);
        Assert.Equal([false, true], fixture.Simulator.Transactions.Select(t => t.Accepted));
        Assert.Single(fixture.Simulator.Messages);
        await fixture.AssertInNoQueueAsync();
    }

    [Fact]
    public async Task A_451_on_every_attempt_fails_the_email_after_MaxAttempts_with_a_retries_exhausted_message()
    {
        fixture.Simulator.Faults.FailNext(Sender, MaxAttempts + 3, 451, "4.3.0", "Error: try again later");
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(EmailStatus.Failed, row.Status);
        Assert.Equal(MaxAttempts, row.Attempts);
        Assert.Equal("SesWorker.SmtpTransient", row.FailureCode);
        Assert.Contains($"gave up after {MaxAttempts} attempts", row.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(451, row.SmtpStatus);
        Assert.Null(row.SentAt);
        var attempts = row.AttemptsInOrder();
        Assert.Equal(Enumerable.Range(1, MaxAttempts), attempts.Select(a => a.AttemptNumber));
        Assert.All(attempts, a => Assert.Equal(451, a.SmtpStatus));
        // Every attempt met the same 451: each is recorded as transient; the email, out of attempts, is failed.
        Assert.All(attempts, a => Assert.Equal("transient", a.Outcome));
        Assert.Equal(MaxAttempts, fixture.Simulator.Transactions.Count);
        Assert.Empty(fixture.Simulator.Messages);
        await fixture.AssertInNoQueueAsync();
    }

    [Fact]
    public async Task InternalError_once_is_retried_and_the_email_is_sent()
    {
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, "InternalError", "Internal error.");
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        AssertSent(row, attempts: 2);
        AssertTransientProviderAttempt(row.AttemptsInOrder()[0], "InternalError", "Internal error.", fixture.Simulator.Transactions[0]);
        Assert.Single(fixture.Simulator.Messages);
    }

    /// <summary>
    /// The SendEmail API reference: TemporaryBlocked means the provider suspends sending to the recipient's mail
    /// service for 10 minutes. Retrying on the ordinary backoff (100 ms-1 s here) would spend every attempt inside the
    /// block and fail a message that passes 10 minutes later; so the email is deferred: one SMTP call, the row deferred
    /// (not failed), the message in a delay queue with deferred-until 10 minutes on.
    /// </summary>
    [Fact]
    public async Task TemporaryBlocked_defers_the_email_for_the_ten_minute_block_instead_of_retrying_or_failing()
    {
        const string Message = "The email push platform will suspend sending emails to the service provider for 10 minutes due to the corresponding recipient service provider's limit. it will be automatically released after 10 minutes.";
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, "FailedOperation.TemporaryBlocked", Message);
        var command = TestMessages.Email();
        var published = DateTimeOffset.UtcNow;

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Deferred, TimeSpan.FromSeconds(10));
        var (queue, parked) = await fixture.TakeDeferredAsync(command.EmailId, TimeSpan.FromSeconds(10));
        // Long enough for an ordinary retry (at most 200 ms away) to have reached the simulator.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var calls = fixture.Simulator.Transactions.Count;
        Assert.True(calls == 1, $"the provider was called {calls} times within 2 s of a 10-minute block");
        Assert.Empty(fixture.Simulator.Messages);
        row = await fixture.ReadRowAsync(command.EmailId);
        Assert.Equal(EmailStatus.Deferred, row.Status);
        Assert.Equal("FailedOperation.TemporaryBlocked", row.FailureCode);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.CompletedAt);
        AssertTransientProviderAttempt(Assert.Single(row.SendAttempts), "FailedOperation.TemporaryBlocked", Message, fixture.Simulator.Transactions[0], messageVerbatim: false);
        Assert.Equal(row.ProviderRequestId, row.SendAttempts[0].RequestId);

        Assert.Contains(queue, SesWorkerFixture.DelayQueues);
        Assert.Equal("deferred", FailureChecks.Header(parked, "sesworker-reason"));
        Assert.Equal("FailedOperation.TemporaryBlocked", FailureChecks.Header(parked, "sesworker-code"));
        var until = DateTimeOffset.Parse(FailureChecks.Header(parked, "sesworker-deferred-until")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(until, published.AddMinutes(10).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(10).AddSeconds(1));
    }

    /// <summary>
    /// FrequencyLimit: more than 10 mails in an hour from the sender to one address, blocked until 00:00 the next day
    /// (SES FAQ). The recipient's block, not the account's pace: before, the appId's rate stepped down for every replica
    /// and the email came back every minute to be refused again, then was parked for an operator.
    /// </summary>
    [Fact]
    public async Task FrequencyLimit_defers_the_email_to_the_providers_next_day_without_stepping_the_appIds_rate_down()
    {
        const string Message = "You have sent too many emails to the same address in a short period.";
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, "FailedOperation.FrequencyLimit", Message);
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Deferred, TimeSpan.FromSeconds(10));
        var (queue, parked) = await fixture.TakeDeferredAsync(command.EmailId, TimeSpan.FromSeconds(10));

        Assert.Equal("FailedOperation.FrequencyLimit", row.FailureCode);
        Assert.DoesNotContain("stepped down", row.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(1, row.Attempts);
        Assert.Contains(queue, SesWorkerFixture.DelayQueues);
        Assert.Equal("FailedOperation.FrequencyLimit", FailureChecks.Header(parked, "sesworker-code"));
        var until = DateTimeOffset.Parse(FailureChecks.Header(parked, "sesworker-deferred-until")!, System.Globalization.CultureInfo.InvariantCulture);
        // The provider's next day, or (a run in the first minutes of Beijing's day) a couple of minutes.
        Assert.True(until == SesWorker.Core.Sending.ProviderDay.NextStart(DateTimeOffset.UtcNow)
            || (SesWorker.Core.Sending.ProviderDay.SpentUntil(DateTimeOffset.UtcNow) < SesWorker.Core.Sending.ProviderDay.NextStart(DateTimeOffset.UtcNow)
                && until <= DateTimeOffset.UtcNow + SesWorker.Core.Sending.ProviderDay.GraceWait), $"deferred until {until:O}");
        Assert.Equal(0u, await fixture.CountAsync(FailureChecks.RateLimitedQueue));

        // The appId's pace is untouched: the next email goes out at once.
        var next = TestMessages.Email();
        await fixture.PublishAsync(next);
        Assert.Equal(EmailStatus.Sent, (await fixture.WaitForTerminalAsync(next.EmailId)).Status);
    }

    /// <summary>
    /// The connection dies after DATA: the provider may have the message. Policy (README, and the original design): the
    /// row goes to unknown and the message is sent again, at least once. The provider ends up with two identical copies
    /// (same Message-ID, same bytes), which receivers can deduplicate on.
    /// </summary>
    [Fact]
    public async Task A_reply_lost_after_DATA_passes_through_unknown_and_the_email_is_sent_again_at_least_once()
    {
        fixture.Simulator.Faults.DropAfterData(Sender, 1, keepMessage: true);
        var command = TestMessages.Email();
        var statuses = new ConcurrentQueue<string>();
        using var watching = new CancellationTokenSource();
        var watcher = WatchStatusesAsync(command.EmailId, statuses, watching.Token);

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        await watching.CancelAsync();
        await watcher;

        AssertSent(row, attempts: 2);
        var first = row.AttemptsInOrder()[0];
        Assert.Equal("unknown", first.Outcome);
        Assert.Null(first.SmtpStatus);
        Assert.Equal("SesWorker.NetworkError", first.ProviderCode);
        Assert.Contains(EmailStatus.Unknown, statuses);
        var copies = fixture.Simulator.Messages;
        Assert.Equal(2, copies.Count);
        Assert.Equal(copies[0].Data, copies[1].Data);
        Assert.Equal(row.SizeBytes, copies[0].Data.Length);
        Assert.All(fixture.Simulator.Transactions, t => Assert.True(t.Accepted));
    }

    [Fact]
    public async Task A_reply_lost_after_DATA_on_every_attempt_fails_the_email_and_every_attempt_says_unknown()
    {
        fixture.Simulator.Faults.DropAfterData(Sender, MaxAttempts + 3, keepMessage: true);
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        Assert.Equal(EmailStatus.Failed, row.Status);
        Assert.Contains($"gave up after {MaxAttempts} attempts", row.FailureMessage, StringComparison.Ordinal);
        var attempts = row.AttemptsInOrder();
        Assert.Equal(Enumerable.Range(1, MaxAttempts), attempts.Select(a => a.AttemptNumber));
        // The provider kept each copy: the last attempt, like the ones before it, says it may have been delivered
        // (it was recorded "transient" before, as though the provider had refused it).
        Assert.All(attempts, a => Assert.Equal("unknown", a.Outcome));
        Assert.Equal(MaxAttempts, fixture.Simulator.Messages.Count);
    }

    /// <summary>
    /// The provider refuses connections for 2 s (a reset before TLS). Nothing reaches it; the worker retries and sends
    /// once it accepts again. The worker is replaced first so its pool holds no connection opened by an earlier test.
    /// </summary>
    [Fact]
    public async Task Refused_connections_for_two_seconds_are_retried_and_the_email_is_sent_after()
    {
        await ReplaceWorkerAsync(fixture.Worker, "worker-a");
        var command = TestMessages.Email();
        var watch = Stopwatch.StartNew();
        fixture.Simulator.Faults.RefuseConnectionsFor(TimeSpan.FromSeconds(2));

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        var attempts = row.AttemptsInOrder();
        var story = string.Join("; ", attempts.Select(a => $"{a.AttemptNumber} {a.Outcome} {a.ProviderCode} at {a.StartedAt:ss.fff}"));
        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} after {watch.Elapsed}: {row.FailureMessage} [{story}]");
        // No transaction happened while the connections were refused: those tries use up no attempt.
        Assert.Equal(1, row.Attempts);
        Assert.Equal("sent", Assert.Single(attempts).Outcome);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"sent after {watch.Elapsed}");
        Assert.Single(fixture.Simulator.Transactions);
        Assert.Single(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task A_reply_delayed_less_than_the_command_timeout_is_waited_for_and_the_email_is_sent()
    {
        fixture.Simulator.Faults.DelayData(Sender, TimeSpan.FromSeconds(2), count: 1);
        var command = TestMessages.Email();
        var watch = Stopwatch.StartNew();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        AssertSent(row, attempts: 1);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"sent after {watch.Elapsed}");
        var attempt = Assert.Single(row.SendAttempts);
        Assert.True(attempt.EndedAt - attempt.StartedAt >= TimeSpan.FromSeconds(1.9), $"attempt took {attempt.EndedAt - attempt.StartedAt}");
        Assert.Single(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task A_reply_held_past_the_command_timeout_ends_the_attempt_at_the_timeout_and_the_email_is_sent_again()
    {
        // A provider that stops answering mid-transaction: the attempt must end at Ses:Smtp:CommandTimeout, not when
        // the provider's reply finally comes (or never). After DATA began its fate is unknown, so it is sent again.
        await fixture.RestartWorkerAsync("worker-timeout", new Dictionary<string, string?> { ["Ses:Smtp:CommandTimeout"] = "00:00:02" });
        try
        {
            fixture.Simulator.Faults.DelayData(Sender, TimeSpan.FromSeconds(20), count: 1);
            var command = TestMessages.Email();
            await fixture.PublishAsync(command);
            var row = await fixture.WaitForTerminalAsync(command.EmailId, TimeSpan.FromSeconds(15));

            var attempts = row.AttemptsInOrder();
            var story = string.Join("; ", attempts.Select(a => $"{a.AttemptNumber} {a.Outcome} {a.ProviderCode} {(a.EndedAt - a.StartedAt).TotalSeconds:F1} s"));
            Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage} [{story}]");
            Assert.Equal(2, attempts.Count);
            Assert.Equal("unknown", attempts[0].Outcome);
            Assert.True(attempts[0].EndedAt - attempts[0].StartedAt < TimeSpan.FromSeconds(6), story);
            Assert.Equal("sent", attempts[1].Outcome);
        }
        finally
        {
            await fixture.RestartWorkerAsync("worker-a");
        }
    }

    /// <summary>
    /// The SES FAQ: the daily quota (ExceedSendLimit) is spent until the provider's day rolls over (00:00 Beijing time).
    /// Retrying cannot help: the appId is paused and the email deferred, with one SMTP call and no failure. Uses the
    /// second appId and replaces the worker afterwards, so the pause the worker holds in memory cannot leak into other
    /// tests (the fixture's reset clears the database's copy).
    /// </summary>
    [Fact]
    public async Task ExceedSendLimit_pauses_the_appId_and_defers_the_email_instead_of_retrying_or_failing()
    {
        const string Message = "The number of emails exceeds the daily sending limit.";
        fixture.Simulator.Faults.FailNextWithProviderCode(FaultTarget.Account(SesWorkerFixture.SecondSender), MaxAttempts + 3, "FailedOperation.ExceedSendLimit", Message);
        var command = TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender);
        try
        {
            await fixture.PublishAsync(command);
            var row = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Deferred, TimeSpan.FromSeconds(10));
            var (_, parked) = await fixture.TakeDeferredAsync(command.EmailId, TimeSpan.FromSeconds(10));
            await Task.Delay(TimeSpan.FromSeconds(1.5));

            var calls = fixture.Simulator.Transactions.Count;
            Assert.True(calls == 1, $"the provider was called {calls} times after the daily quota was spent");
            row = await fixture.ReadRowAsync(command.EmailId);
            Assert.Equal(EmailStatus.Deferred, row.Status);
            Assert.Equal("FailedOperation.ExceedSendLimit", row.FailureCode);
            Assert.Equal(1, row.Attempts);
            AssertTransientProviderAttempt(Assert.Single(row.SendAttempts), "FailedOperation.ExceedSendLimit", Message, fixture.Simulator.Transactions[0], messageVerbatim: false);
            Assert.Equal("FailedOperation.ExceedSendLimit", FailureChecks.Header(parked, "sesworker-code"));
            var until = DateTimeOffset.Parse(FailureChecks.Header(parked, "sesworker-deferred-until")!, System.Globalization.CultureInfo.InvariantCulture);
            var beijing = until.ToOffset(TimeSpan.FromHours(8));
            Assert.Equal(TimeSpan.Zero, beijing.TimeOfDay);
            Assert.InRange(until, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        }
        finally
        {
            await ReplaceWorkerAsync(fixture.Worker, "worker-a");
        }
    }

    private static void AssertSent(EmailMessage row, int attempts)
    {
        var story = string.Join("; ", row.AttemptsInOrder().Select(a => $"{a.AttemptNumber} {a.Outcome} {a.SmtpStatus} {a.ProviderCode}"));
        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage} [{story}]");
        Assert.Equal(attempts, row.Attempts);
        Assert.Equal(attempts, row.SendAttempts.Count);
        Assert.Null(row.FailureCode);
        Assert.Null(row.FailureMessage);
        Assert.NotNull(row.SentAt);
        Assert.StartsWith("250", row.SmtpReply, StringComparison.Ordinal);
        Assert.Equal("sent", row.AttemptsInOrder()[^1].Outcome);
        Assert.Equal(Enumerable.Range(1, attempts), row.AttemptsInOrder().Select(a => a.AttemptNumber));
    }

    /// <param name="messageVerbatim">False where the worker adds what it did to the provider's message: it must still quote it.</param>
    private static void AssertTransientProviderAttempt(SendAttempt attempt, string code, string message, SmtpTransaction transaction, bool messageVerbatim = true)
    {
        Assert.Equal("transient", attempt.Outcome);
        Assert.Equal(554, attempt.SmtpStatus);
        Assert.Equal("5.0.0", attempt.EnhancedCode);
        Assert.Equal(code, attempt.ProviderCode);
        if (messageVerbatim)
            Assert.Equal(message, attempt.ProviderMessage);
        else
            Assert.Contains(message, attempt.ProviderMessage, StringComparison.Ordinal);
        Assert.Equal(code, transaction.ErrorCode);
        Assert.Equal(FailureChecks.RequestIdOf(transaction), attempt.RequestId);
    }

    private async Task WatchStatusesAsync(Guid emailId, ConcurrentQueue<string> statuses, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await using var db = fixture.CreateDbContext();
                var status = await db.EmailMessages.AsNoTracking().Where(e => e.EmailId == emailId).Select(e => e.Status).SingleOrDefaultAsync(cancellationToken);
                if (status is not null && (statuses.IsEmpty || statuses.Last() != status))
                    statuses.Enqueue(status);
                await Task.Delay(10, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<IHost> ReplaceWorkerAsync(IHost worker, string workerId)
    {
        await fixture.StopWorkerAsync(worker);
        return await fixture.StartWorkerAsync(workerId);
    }
}
