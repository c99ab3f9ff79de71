using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;
using SesWorker.Messaging;

namespace SesWorker.IntegrationTests.Failures;

/// <summary>What the failure tests look at after the worker is done: the row, its attempts, the queues and the simulator.</summary>
internal static class FailureChecks
{
    public const string OversizeQueue = "send-email-oversize";
    public const string RateLimitedQueue = "send-email-rate-limited";
    public const string ParkedQueue = "send-email-rate-limited-parked";
    public const string ErrorQueue = "send-email_error";

    private const string JsonMarker = "##SES-response-json:";

    public static List<SendAttempt> AttemptsInOrder(this EmailMessage row) => [.. row.SendAttempts.OrderBy(a => a.AttemptNumber)];

    public static async Task<EmailMessage> ReadRowAsync(this SesWorkerFixture fixture, Guid emailId)
    {
        await using var db = fixture.CreateDbContext();
        return await db.EmailMessages.AsNoTracking().Include(e => e.SendAttempts).SingleAsync(e => e.EmailId == emailId);
    }

    /// <summary>
    /// Takes the dead-lettered copy of <paramref name="emailId"/> off <paramref name="queue"/> (acknowledged, so it
    /// cannot flow back into send-email behind the test's back) and returns it.
    /// </summary>
    public static async Task<BasicGetResult> TakeDeadLetterAsync(this SesWorkerFixture fixture, string queue, Guid emailId, TimeSpan timeout)
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + timeout;
        // Other messages stay unacknowledged until the end, so the next get moves past them (a requeued message goes
        // back to the head), and are then returned to the queue.
        var others = new List<BasicGetResult>();
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var result = await channel.BasicGetAsync(queue, autoAck: false);
                if (result is null)
                {
                    await Task.Delay(50);
                    continue;
                }

                if (Header(result, "sesworker-email-id") == emailId.ToString())
                {
                    await channel.BasicAckAsync(result.DeliveryTag, multiple: false);
                    return result;
                }

                others.Add(result);
            }
        }
        finally
        {
            foreach (var other in others)
                await channel.BasicNackAsync(other.DeliveryTag, multiple: false, requeue: true);
        }

        throw new TimeoutException($"no message for {emailId} in {queue} after {timeout} (saw {string.Join(", ", others.Select(o => Header(o, "sesworker-email-id") ?? "?"))})");
    }

    /// <summary>
    /// Takes the deferred copy of <paramref name="emailId"/> off whichever delay queue holds it (acknowledged: the fixture's
    /// reset does not purge delay queues, and a copy left there would come back and be sent during a later test).
    /// </summary>
    public static async Task<(string Queue, BasicGetResult Message)> TakeDeferredAsync(this SesWorkerFixture fixture, Guid emailId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var queue in SesWorkerFixture.DelayQueues)
            {
                if (await fixture.CountAsync(queue) > 0)
                {
                    try
                    {
                        return (queue, await fixture.TakeDeadLetterAsync(queue, emailId, TimeSpan.FromMilliseconds(200)));
                    }
                    catch (TimeoutException)
                    {
                        // Another email's copy: keep looking.
                    }
                }
            }

            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no deferred copy of {emailId} in {string.Join(", ", SesWorkerFixture.DelayQueues)} after {timeout}");
            await Task.Delay(50);
        }
    }

    /// <summary>The configured rate-limited delay (Worker:DeadLetter:RateLimitedDelay), one minute when the fixture leaves the default.</summary>
    public static TimeSpan RateLimitedDelay(this SesWorkerFixture fixture) =>
        fixture.WorkerConfiguration("probe").TryGetValue("Worker:DeadLetter:RateLimitedDelay", out var value) && value is not null
            ? TimeSpan.Parse(value, CultureInfo.InvariantCulture)
            : TimeSpan.FromMinutes(1);

    /// <summary>A permanent failure is recorded, never parked: no dead-letter or error queue holds the message.</summary>
    public static async Task AssertInNoQueueAsync(this SesWorkerFixture fixture)
    {
        foreach (var queue in (string[])[OversizeQueue, RateLimitedQueue, ParkedQueue, ErrorQueue, SesWorkerFixture.QueueName])
            Assert.True(await fixture.CountAsync(queue) == 0, $"{queue} holds a message");
    }

    public static string? Header(BasicGetResult message, string name)
    {
        if (message.BasicProperties.Headers is not { } headers || !headers.TryGetValue(name, out var value) || value is null)
            return null;
        return value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(value, CultureInfo.InvariantCulture);
    }

    /// <summary>The headers the original design promises on every dead-lettered message, for a message dead-lettered for the first time.</summary>
    public static void AssertDeadLetterHeaders(BasicGetResult message, Guid emailId, string reason, string code, string? providerMessage, int attempts, DateTimeOffset notBefore)
    {
        Assert.Equal(reason, Header(message, "sesworker-reason"));
        Assert.Equal(code, Header(message, "sesworker-code"));
        if (providerMessage is null)
            Assert.False(string.IsNullOrWhiteSpace(Header(message, "sesworker-message")), "sesworker-message is empty");
        else
            Assert.Equal(providerMessage, Header(message, "sesworker-message"));
        Assert.Equal(attempts.ToString(CultureInfo.InvariantCulture), Header(message, "sesworker-attempts"));
        Assert.Equal(emailId.ToString(), Header(message, "sesworker-email-id"));

        var first = Time(message, "sesworker-first-failure");
        var last = Time(message, "sesworker-last-failure");
        Assert.InRange(first, notBefore.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(first, last);

        // The body is the MassTransit envelope of the original command, unchanged.
        var body = Encoding.UTF8.GetString(message.Body.Span);
        Assert.Contains(emailId.ToString(), body, StringComparison.Ordinal);
    }

    private static DateTimeOffset Time(BasicGetResult message, string name)
    {
        var value = Header(message, name);
        Assert.False(value is null, $"{name} is missing");
        return DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }

    /// <summary>The RequestId of the provider's JSON reply as the simulator sent it, read without the worker's parser.</summary>
    public static string RequestIdOf(SmtpTransaction transaction)
    {
        var marker = transaction.ReplyText.IndexOf(JsonMarker, StringComparison.Ordinal);
        Assert.True(marker >= 0, $"no JSON in '{transaction.ReplyText}'");
        using var json = JsonDocument.Parse(transaction.ReplyText[(marker + JsonMarker.Length)..]);
        return json.RootElement.GetProperty("Response").GetProperty("RequestId").GetString()!;
    }

    /// <summary>
    /// For a failure found before connecting: the row says why, no attempt was counted and the provider saw nothing.
    /// </summary>
    public static void AssertCaughtBeforeConnecting(this SesWorkerFixture fixture, EmailMessage row, string status, string code)
    {
        var seen = fixture.Simulator.Transactions;
        Assert.True(seen.Count == 0, $"expected no SMTP call; the simulator saw {string.Join("; ", seen.Select(t => $"{t.ReplyCode} {t.ErrorCode}"))} "
            + $"and the row is {row.Status} {row.FailureCode} after {row.Attempts} attempt(s): {row.FailureMessage}");
        Assert.True(row.Status == status, $"status {row.Status}, expected {status} ({row.FailureCode}: {row.FailureMessage})");
        Assert.Equal(code, row.FailureCode);
        Assert.False(string.IsNullOrWhiteSpace(row.FailureMessage));
        Assert.Equal(0, row.Attempts);
        Assert.Empty(row.SendAttempts);
        Assert.Null(row.SmtpStatus);
        Assert.Null(row.ProviderRequestId);
        Assert.NotNull(row.CompletedAt);
        Assert.Null(row.SentAt);
        Assert.Empty(fixture.Simulator.Messages);
    }

    /// <summary>One SMTP call answered with the provider's JSON error, recorded verbatim on the row and its attempt.</summary>
    /// <param name="note">What the worker adds to the email row's message (the attempt keeps the provider's words).</param>
    public static void AssertProviderRefusal(this SesWorkerFixture fixture, EmailMessage row, string status, string outcome, string code, string message, string note = "")
    {
        var transaction = Assert.Single(fixture.Simulator.Transactions);
        Assert.False(transaction.Accepted);
        Assert.Equal(code, transaction.ErrorCode);
        var requestId = RequestIdOf(transaction);

        Assert.True(row.Status == status, $"status {row.Status}, expected {status} ({row.FailureCode}: {row.FailureMessage})");
        Assert.Equal(code, row.FailureCode);
        Assert.Equal(message + note, row.FailureMessage);
        Assert.Equal(554, row.SmtpStatus);
        Assert.StartsWith("554 5.0.0 Error: transaction failed", row.SmtpReply, StringComparison.Ordinal);
        Assert.Equal(requestId, row.ProviderRequestId);
        Assert.Equal(1, row.Attempts);
        Assert.NotNull(row.CompletedAt);
        Assert.Null(row.SentAt);

        var attempt = Assert.Single(row.SendAttempts);
        Assert.Equal(1, attempt.AttemptNumber);
        Assert.Equal(outcome, attempt.Outcome);
        Assert.Equal(554, attempt.SmtpStatus);
        Assert.Equal("5.0.0", attempt.EnhancedCode);
        Assert.Equal(code, attempt.ProviderCode);
        Assert.Equal(message, attempt.ProviderMessage);
        Assert.Equal(requestId, attempt.RequestId);
        Assert.Empty(fixture.Simulator.Messages);
    }
}
