using System.Text;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Failures;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.Tests.Contracts;

namespace SesWorker.IntegrationTests.Producers;

/// <summary>
/// The reader's corpus (good and bad bodies of every kind: the shapes, wrong types for every field, every kind
/// of email id, not-JSON, truncations, bad UTF-8) published raw to the real worker. Each body with a readable emailId
/// ends in a terminal row, and one that could not be read in full says why (<c>SesWorker.MalformedMessage</c> and the
/// reader's reason); each body without one lands in <c>send-email_error</c> alone, with the reason.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class MalformedCorpusTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const string CorpusId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private static readonly SendEmailValidator Validator = new(new SesLimits());

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Every_payload_ends_with_a_row_and_a_code_or_in_the_error_queue_with_its_reason()
    {
        // Each body gets an id of its own (same length, so truncations cut where they did); bodies that still share an
        // id (the same producer key) are kept once.
        var cases = new List<(ReaderCorpus.Case Case, byte[] Body, SendEmailReadResult Read)>();
        var seen = new HashSet<Guid>();
        foreach (var c in ReaderCorpus.Cases())
        {
            var body = Replace(c.Body, Encoding.UTF8.GetBytes(CorpusId), Encoding.UTF8.GetBytes(Guid.NewGuid().ToString()));
            // A recipient of its own (same length): eleven to one address would meet the hourly cap and wait an hour.
            body = Replace(body, "c@example.org"u8.ToArray(), Encoding.UTF8.GetBytes($"c{cases.Count % 1000:000}@exam.org"));
            var read = SendEmailReader.Read(body);
            if (read.HasEmailId && !seen.Add(read.Message.EmailId))
                continue;
            cases.Add((c, body, read));
        }

        var withId = cases.Where(c => c.Read.HasEmailId).ToList();
        var without = cases.Where(c => !c.Read.HasEmailId).ToList();
        Assert.True(cases.Count >= 100, $"{cases.Count} distinct payloads");
        Assert.Contains(withId, c => c.Read.Status == SendEmailReadStatus.Malformed);

        await using (var connection = await fixture.ConnectRabbitMqAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null)))
        {
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
            foreach (var (_, body, _) in cases)
                await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, properties, body);
        }

        var rows = await fixture.WaitForTerminalAsync(withId.Select(c => c.Read.Message!.EmailId).ToList(), TimeSpan.FromSeconds(90));
        var byId = rows.ToDictionary(r => r.EmailId);
        foreach (var (c, _, read) in withId)
        {
            var row = byId[read.Message!.EmailId];
            if (read.Status == SendEmailReadStatus.Malformed)
            {
                Assert.True(row.Status == EmailStatus.Failed && row.FailureCode == SendEmailReadCodes.MalformedMessage,
                    $"{c.Name}: {row.Status} {row.FailureCode} {row.FailureMessage}");
                Assert.Equal(read.Reason, row.FailureMessage);
            }
            else if (Validator.Validate(read.Message!) is { } invalid)
            {
                // Read in full but against a rule of the provider's: that rule's code, nothing sent.
                Assert.True(row.FailureCode == invalid.Code && row.Status != EmailStatus.Sent, $"{c.Name}: {row.Status} {row.FailureCode}, expected {invalid.Code}");
            }
            else if (Refusal(read.Message!) is { } code)
            {
                Assert.True(row.FailureCode == code && row.Status == EmailStatus.Failed, $"{c.Name}: {row.Status} {row.FailureCode}, expected {code}");
            }
            else
            {
                Assert.True(row.Status == EmailStatus.Sent, $"{c.Name}: {row.Status} {row.FailureCode} {row.FailureMessage}");
            }
        }

        await fixture.WaitForQueueAsync("send-email_error", (uint)without.Count);
        await using var reading = await fixture.ConnectRabbitMqAsync();
        await using var errors = await reading.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var faults = await QueueChecks.ReadQueueAsync(errors, "send-email_error", without.Count + 1, TimeSpan.FromSeconds(5));
        Assert.Equal(without.Count, faults.Count);
        Assert.All(faults, f => Assert.False(string.IsNullOrWhiteSpace(FailureChecks.Header(f, "MT-Fault-Message"))));
        // The reader's own reasons, where MassTransit got as far as handing the body over (a JSON object).
        var reasons = faults.Select(f => FailureChecks.Header(f, "MT-Fault-Message") ?? string.Empty).ToList();
        foreach (var (c, _, read) in without.Where(w => w.Body.AsSpan().TrimStart(" \r\n\t"u8).StartsWith("{"u8) && IsJson(w.Body)))
            Assert.True(reasons.Any(r => r.Contains(read.Reason!, StringComparison.Ordinal)), $"{c.Name}: no fault says \"{read.Reason}\"");
    }

    [Fact]
    public async Task The_same_emailId_published_twice_is_sent_once_and_the_copy_is_counted_on_its_row()
    {
        var command = TestMessages.Email();
        await fixture.PublishRawAsync([command]);
        var first = await fixture.WaitForTerminalAsync(command.EmailId);
        await fixture.PublishRawAsync([command, command with { Subject = "a second publish, changed" }]);

        await using var db = fixture.CreateDbContext();
        var copies = 0;
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20); copies < 2 && DateTime.UtcNow < deadline; await Task.Delay(100))
            copies = await db.Database.SqlQuery<int>($"SELECT duplicate_copies AS \"Value\" FROM email_messages WHERE email_id = {command.EmailId}").SingleAsync();

        Assert.Equal(EmailStatus.Sent, first.Status);
        Assert.Equal(2, copies);
        Assert.Single(fixture.Simulator.Messages, m => MimeKit.MimeMessage.Load(new MemoryStream(m.Data)).MessageId == first.MessageId?.Trim('<', '>'));
        Assert.Equal(0u, await fixture.CountAsync(SesWorkerFixture.QueueName));
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(body);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static byte[] Replace(byte[] body, byte[] from, byte[] to)
    {
        var at = body.AsSpan().IndexOf(from);
        if (at < 0)
            return body;
        var copy = body.ToArray();
        to.CopyTo(copy, at);
        return copy;
    }

    [Fact]
    public async Task A_NUL_character_anywhere_in_a_message_still_ends_in_a_terminal_row_with_its_code()
    {
        // PostgreSQL refuses U+0000 in text and jsonb: before, such a message was retried for an hour with no row,
        // holding a consumer's place, then faulted. The history keeps U+FFFD in its place.
        var inSubject = TestMessages.Email() with { Subject = "Your\0order" };
        var inName = TestMessages.Email() with { From = new EmailAddress { Address = SesWorkerFixture.Sender, Name = "Shop\0" } };
        var inMetadata = TestMessages.Email() with { Metadata = new Dictionary<string, string> { ["order\0"] = "4\02" } };
        var inText = TestMessages.Email() with { Text = "line\0one" };
        await fixture.PublishRawAsync([inSubject, inName, inMetadata, inText]);

        var rows = (await fixture.WaitForTerminalAsync([inSubject.EmailId, inName.EmailId, inMetadata.EmailId, inText.EmailId], TimeSpan.FromSeconds(30)))
            .ToDictionary(r => r.EmailId);

        Assert.Equal((EmailStatus.Failed, ErrorCodes.InvalidParameterValue), (rows[inSubject.EmailId].Status, rows[inSubject.EmailId].FailureCode));
        Assert.Equal("Your\uFFFDorder", rows[inSubject.EmailId].Subject);
        Assert.Equal((EmailStatus.Failed, ErrorCodes.InvalidParameterValue), (rows[inName.EmailId].Status, rows[inName.EmailId].FailureCode));
        Assert.Equal(EmailStatus.Sent, rows[inMetadata.EmailId].Status);
        Assert.Equal(EmailStatus.Sent, rows[inText.EmailId].Status);
    }

    /// <summary>What the worker refuses a message read in full and valid for: an account or a sender it does not have.</summary>
    private static string? Refusal(SendEmail message)
    {
        if (!SesWorkerFixture.AppIds.Contains(message.AppId))
            return ErrorCodes.UnknownAccount;
        return string.Equals(message.From!.Address, SesWorkerFixture.SenderOf(message.AppId!), StringComparison.OrdinalIgnoreCase) ? null : ErrorCodes.UnknownSender;
    }
}
