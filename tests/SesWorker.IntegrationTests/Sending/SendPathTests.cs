using Microsoft.EntityFrameworkCore;
using System.Text;
using System.Text.Json;
using MimeKit;
using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;
using SesWorker.Worker.Smtp;

namespace SesWorker.IntegrationTests.Sending;

[Collection(ServiceBackedTests.Name)]
public sealed class SendPathTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Hundred_messages_published_through_MassTransit_arrive_and_have_sent_rows()
    {
        var commands = Enumerable.Range(0, 100).Select(i => TestMessages.Email(i % 2 == 0 ? SesWorkerFixture.AppId : SesWorkerFixture.SecondAppId,
            i % 2 == 0 ? SesWorkerFixture.Sender : SesWorkerFixture.SecondSender)).ToList();
        foreach (var command in commands)
            await fixture.PublishAsync(command);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        AssertSentAndMatching(commands, rows, fixture.Simulator.Messages);
        // Connections are pooled and reused: at most one pool per sender (Ses:Smtp:MaxConnectionsPerSender) carried all
        // hundred messages, not a connection each.
        var connections = fixture.Simulator.Messages.Select(m => m.ConnectionId).Distinct().Count();
        Assert.InRange(connections, 1, 2 * new SmtpOptions().MaxConnectionsPerSender);
    }

    [Fact]
    public async Task A_worker_that_does_not_pin_the_simulators_certificate_refuses_to_send_to_it()
    {
        await fixture.StopWorkerAsync(fixture.Worker);
        try
        {
            await fixture.StartWorkerAsync("worker-untrusting", new Dictionary<string, string?>
            {
                ["Ses:Smtp:TrustedCertificateFile"] = "",
                ["Worker:ConnectOutageTolerance"] = "00:00:01",
            });
            var command = TestMessages.Email();
            await fixture.PublishAsync(command);

            var row = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Deferred);

            // Not sent, not failed: deferred until the configuration is fixed, and visible with its reason.
            Assert.Equal("SesWorker.NetworkError", row.FailureCode);
            Assert.Contains("certificate", row.FailureMessage, StringComparison.OrdinalIgnoreCase);
            Assert.Empty(fixture.Simulator.Messages);
        }
        finally
        {
            await fixture.StopWorkerAsync(fixture.Worker);
            await fixture.StartWorkerAsync("worker-a");
        }
    }

    [Fact]
    public async Task Hundred_raw_json_messages_from_a_plain_AMQP_client_arrive_and_have_sent_rows()
    {
        var commands = Enumerable.Range(0, 100).Select(_ => TestMessages.Email()).ToList();
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var camel = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        for (var i = 0; i < commands.Count; i++)
        {
            // Producers in other languages: camelCase or PascalCase, with content type application/json or none at all.
            var body = JsonSerializer.SerializeToUtf8Bytes(commands[i], i % 2 == 0 ? camel : null);
            var properties = new BasicProperties { ContentType = i % 3 == 0 ? null : "application/json", DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, properties, body);
        }

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        AssertSentAndMatching(commands, rows, fixture.Simulator.Messages);
    }

    [Fact]
    public async Task Two_workers_on_one_queue_send_each_message_exactly_once()
    {
        await fixture.StartWorkerAsync("worker-b");
        var commands = Enumerable.Range(0, 100).Select(_ => TestMessages.Email()).ToList();
        foreach (var command in commands)
            await fixture.PublishAsync(command);
        // The same EmailIds again, while the first copies are in flight: duplicates must not be sent twice.
        foreach (var command in commands.Take(30))
            await fixture.PublishAsync(command);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var received = fixture.Simulator.Messages;
        var refused = fixture.Simulator.Transactions.Where(t => !t.Accepted).ToList();
        Assert.True(refused.Count == 0, string.Join("\n", refused.Select(t => $"{t.At:HH:mm:ss.fff} {t.ErrorCode} {t.ReplyText}"))
            + "\nall: " + string.Join(" ", fixture.Simulator.Transactions.Select(t => t.At.ToString("ss.fff", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.InRange(fixture.Simulator.MaxTransactionsInAnyWindow(SesWorkerFixture.AppId, TimeSpan.FromSeconds(1)), 1, 20);
        Assert.Equal(100, received.Count);
        Assert.Equal(100, received.Select(m => MessageIdOf(m)).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(1, r.Attempts));
        Assert.Equal(2, rows.Select(r => r.WorkerId).Distinct().Count());
    }

    [Fact]
    public async Task Redelivered_message_that_was_already_sent_is_not_sent_again()
    {
        var command = TestMessages.Email();
        await fixture.PublishAsync(command);
        var first = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(EmailStatus.Sent, first.Status);

        await fixture.PublishAsync(command);
        var probe = TestMessages.Email();
        await fixture.PublishAsync(probe);
        await fixture.WaitForTerminalAsync(probe.EmailId);

        Assert.Equal(2, fixture.Simulator.Messages.Count);
        var again = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(1, again.Attempts);
        Assert.Equal(first.SentAt, again.SentAt);

        // The history view people query: one row per email with its latest attempt.
        await using var db = fixture.CreateDbContext();
        var history = await db.Database
            .SqlQuery<string>($"SELECT status || '/' || last_outcome || '/' || attempts AS \"Value\" FROM email_history WHERE email_id = {command.EmailId}")
            .SingleAsync();
        Assert.Equal("sent/sent/1", history);
    }

    [Fact]
    public async Task Malformed_messages_get_a_clear_outcome_and_the_worker_goes_on()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var json = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };

        var missingRecipients = Guid.NewGuid();
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, json,
            Encoding.UTF8.GetBytes($$"""{"emailId":"{{missingRecipients}}","appId":"1000","from":{"address":"noreply@example.com"},"subject":"no one to send to","text":"hi"}"""));
        var badRecipient = Guid.NewGuid();
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, json,
            Encoding.UTF8.GetBytes($$"""{"emailId":"{{badRecipient}}","appId":"1000","from":{"address":"noreply@example.com"},"to":[{"address":"not an address"}],"subject":"s","text":"hi"}"""));
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, json, Encoding.UTF8.GetBytes("{ this is not json"));
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, json, Encoding.UTF8.GetBytes("""{"subject":"no email id"}"""));
        var valid = TestMessages.Email();
        await fixture.PublishAsync(valid);

        var missing = await fixture.WaitForTerminalAsync(missingRecipients);
        Assert.Equal(EmailStatus.Failed, missing.Status);
        Assert.Equal("InvalidParameterValue.EmailAddressIsNULL", missing.FailureCode);
        Assert.Contains("To", missing.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0, missing.Attempts);

        var bad = await fixture.WaitForTerminalAsync(badRecipient);
        Assert.Equal(EmailStatus.Failed, bad.Status);
        Assert.Equal("FailedOperation.IncorrectEmail", bad.FailureCode);

        Assert.Equal(EmailStatus.Sent, (await fixture.WaitForTerminalAsync(valid.EmailId)).Status);

        // Without an EmailId there is no row to write: the message waits in the error queue with the reason in its headers.
        var faults = await QueueChecks.ReadQueueAsync(channel, "send-email_error", 2, TimeSpan.FromSeconds(20));
        Assert.Equal(2, faults.Count);
        Assert.All(faults, f => Assert.True(f.BasicProperties.Headers?.ContainsKey("MT-Fault-Message"), "MT-Fault-Message header"));
        Assert.Contains(faults, f => Encoding.UTF8.GetString(f.Body.Span).Contains("not json", StringComparison.Ordinal));
        Assert.Single(fixture.Simulator.Messages);
    }


    private static string MessageIdOf(ReceivedMessage message) =>
        MimeMessage.Load(new MemoryStream(message.Data)).MessageId ?? string.Empty;

    private static void AssertSentAndMatching(List<SendEmail> commands, List<EmailMessage> rows, IReadOnlyList<ReceivedMessage> received)
    {
        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId}: {r.Status} {r.FailureCode} {r.FailureMessage}"));
        Assert.Equal(commands.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        var byMessageId = received.ToDictionary(m => MessageIdOf(m));
        Assert.Equal(commands.Count, byMessageId.Count);
        foreach (var command in commands)
        {
            var row = rows.Single(r => r.EmailId == command.EmailId);
            Assert.Equal(command.AppId, row.AppId);
            Assert.Equal(command.From!.Address, row.FromAddress);
            Assert.Equal(command.To!.Select(t => t.Address), row.ToAddresses);
            Assert.Equal(command.Subject, row.Subject);
            Assert.Equal(command.CorrelationId, row.CorrelationId);
            Assert.Contains("acme", row.Metadata ?? string.Empty, StringComparison.Ordinal);
            Assert.Equal(1, row.Attempts);
            Assert.NotNull(row.SentAt);
            Assert.StartsWith("250", row.SmtpReply, StringComparison.Ordinal);

            var wire = byMessageId[row.MessageId!];
            Assert.Equal(command.AppId, wire.AppId);
            Assert.Equal(command.From.Address, wire.MailFrom);
            Assert.Equal(command.To!.Select(t => t.Address), wire.RcptTo);
            Assert.Equal(row.SizeBytes, wire.Data.Length);
            var mime = MimeMessage.Load(new MemoryStream(wire.Data));
            Assert.Equal(command.Subject, mime.Subject);
            Assert.Equal("Örders Désk", mime.From.Mailboxes.Single().Name);
            Assert.Equal(command.Text, mime.TextBody?.TrimEnd());
            Assert.Contains("<b>Test</b>", mime.HtmlBody, StringComparison.Ordinal);
            var row1 = row.SendAttempts.Single();
            Assert.Equal("sent", row1.Outcome);
        }
    }
}
