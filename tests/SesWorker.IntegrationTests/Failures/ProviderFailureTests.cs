using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;
using SesWorker.Messaging;

namespace SesWorker.IntegrationTests.Failures;

/// <summary>
/// Rules only the provider can apply (blocklists, unsubscribes, sender verification, its rate limits): the simulator
/// is told to answer with the provider's business error, and the worker must record the code verbatim with the
/// RequestId of the JSON reply, then fail, retry or dead-letter by the code's class.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ProviderFailureTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly FaultTarget Sender = FaultTarget.Account(SesWorkerFixture.Sender);

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("FailedOperation.EmailAddrInBlacklist", "The email address is in the blocklist.")]
    [InlineData("FailedOperation.NotAuthenticatedSender", "Unable to send because the sender is not verified.")]
    [InlineData("FailedOperation.ReceiverHasUnsubscribed", "The recipient has unsubscribed.")]
    [InlineData("FailedOperation.SMTPForbidden", "SMTP Disabled for Individual Customers")]
    [InlineData("FailedOperation.RejectedByRecipients", "The message was rejected by the recipient.")]
    [InlineData("FailedOperation.SomethingNew", "A code no document lists yet.")]
    public async Task A_permanent_provider_code_fails_the_email_once_with_the_code_and_RequestId_verbatim(string code, string message)
    {
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, code, message);
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        // Long enough for a wrongly scheduled retry to show up in the simulator.
        await Task.Delay(TimeSpan.FromMilliseconds(1500));

        fixture.AssertProviderRefusal(await fixture.ReadRowAsync(command.EmailId), EmailStatus.Failed, "permanent", code, message);
        Assert.Equal(EmailStatus.Failed, row.Status);
        await fixture.AssertInNoQueueAsync();
    }

    /// <summary>The provider's system error for a 2000-character line has no JSON: the worker names it from the text.</summary>
    [Fact]
    public async Task The_providers_long_line_system_error_fails_the_email_as_LineTooLong()
    {
        fixture.Simulator.Faults.FailNext(Sender, 1, 554, "5.0.0", "Error: transaction failed, blame it on the weather: smtp: too longer line in input stream");
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        Assert.Equal(EmailStatus.Failed, row.Status);
        Assert.Equal("Smtp.LineTooLong", row.FailureCode);
        Assert.Equal(554, row.SmtpStatus);
        Assert.Null(row.ProviderRequestId);
        var attempt = Assert.Single(row.SendAttempts);
        Assert.Equal("permanent", attempt.Outcome);
        Assert.Equal(554, attempt.SmtpStatus);
        Assert.Equal("Smtp.LineTooLong", attempt.ProviderCode);
        Assert.Null(attempt.RequestId);
        Assert.Single(fixture.Simulator.Transactions);
        await fixture.AssertInNoQueueAsync();
    }

    /// <summary>
    /// The message sits in send-email-rate-limited until the queue's TTL (Worker:DeadLetter:RateLimitedDelay, one minute:
    /// the fixture keeps the default) sends it back to send-email; the test takes it off the queue well before that.
    /// </summary>
    [Theory]
    [InlineData("RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit")]
    public async Task A_throttling_provider_code_dead_letters_the_email_to_the_rate_limited_queue_with_headers(string code, string message)
    {
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, code, message);
        var command = TestMessages.Email();
        var published = DateTimeOffset.UtcNow;

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        // The provider throttled although the slots were spaced: the appId's rate steps down for every replica (by 1.25).
        var stepped = (20 * (1 - SesWorkerFixture.TestSafetyMargin) / 1.25).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        fixture.AssertProviderRefusal(row, EmailStatus.DeadLettered, "rate_limited", code, message,
            note: $" (appId {SesWorkerFixture.AppId}: rate stepped down to {stepped}/s for every replica)");
        var parked = await fixture.TakeDeadLetterAsync(FailureChecks.RateLimitedQueue, command.EmailId, TimeSpan.FromSeconds(10));
        FailureChecks.AssertDeadLetterHeaders(parked, command.EmailId, "rate_limited", code, message, attempts: 1, published);
        Assert.Equal("1", FailureChecks.Header(parked, "sesworker-cycles"));
        Assert.Equal(SesWorkerFixture.AppId, FailureChecks.Header(parked, "sesworker-app-id"));
        Assert.Equal(0u, await fixture.CountAsync(FailureChecks.OversizeQueue));
    }

    [Fact]
    public async Task A_message_throttled_again_after_its_last_allowed_cycle_is_parked_not_sent_round_again()
    {
        // It came back from send-email-rate-limited ten times already (Worker:DeadLetter:MaxRateLimitedCycles): the
        // eleventh throttle parks it, where it waits for an operator's redrive instead of looping for ever.
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, "RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit");
        var command = TestMessages.Email();

        await fixture.PublishRawAsync([command], new Dictionary<string, object?> { [DeadLetterHeaders.Cycles] = 10 });
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        Assert.Equal(EmailStatus.DeadLettered, row.Status);
        Assert.Equal("RequestLimitExceeded.SmtpRateLimit", row.FailureCode);
        var parked = await fixture.TakeDeadLetterAsync(FailureChecks.ParkedQueue, command.EmailId, TimeSpan.FromSeconds(10));
        Assert.Equal("11", FailureChecks.Header(parked, "sesworker-cycles"));
        Assert.Equal(0u, await fixture.CountAsync(FailureChecks.RateLimitedQueue));
    }

    [Fact]
    public async Task A_sender_the_appId_has_no_password_for_fails_before_any_connection()
    {
        var command = TestMessages.Email(from: "unconfigured@example.com");

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        Assert.Equal((EmailStatus.Failed, ErrorCodes.UnknownSender), (row.Status, row.FailureCode));
        Assert.Empty(row.SendAttempts);
        Assert.Empty(fixture.Simulator.Transactions);
    }

    /// <summary>
    /// The original design: throttled messages "return to send-email automatically after a delay". The test looks at
    /// the parked copy without taking it (a requeued message keeps its expiry), then waits out
    /// Worker:DeadLetter:RateLimitedDelay: the returning message must be sent, not dropped as a duplicate of a
    /// dead-lettered email.
    /// </summary>
    [Fact]
    public async Task A_rate_limited_email_is_sent_when_it_returns_from_the_rate_limited_queue()
    {
        fixture.Simulator.Faults.FailNextWithProviderCode(Sender, 1, "RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit");
        var command = TestMessages.Email();
        await fixture.PublishAsync(command);
        var limited = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(EmailStatus.DeadLettered, limited.Status);

        var delay = fixture.RateLimitedDelay();
        var sent = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Sent, delay + TimeSpan.FromSeconds(10));

        var story = string.Join("; ", sent.AttemptsInOrder().Select(a => $"{a.AttemptNumber} {a.Outcome} {a.ProviderCode} at {a.StartedAt:HH:mm:ss.fff}"));
        Assert.Single(fixture.Simulator.Messages);
        Assert.Equal(2, sent.Attempts);
        Assert.Equal(["rate_limited", "sent"], sent.AttemptsInOrder().Select(a => a.Outcome));
        var waited = sent.AttemptsInOrder()[1].StartedAt - sent.AttemptsInOrder()[0].EndedAt;
        Assert.True(waited >= delay - TimeSpan.FromMilliseconds(100), $"came back after {waited}, the delay is {delay} [{story}]");
        Assert.Null(sent.FailureCode);
        Assert.Equal(0u, await fixture.CountAsync(FailureChecks.RateLimitedQueue));
    }
}
