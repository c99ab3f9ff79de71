using SesWorker.Contracts;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.Messaging;

namespace SesWorker.IntegrationTests.Failures;

/// <summary>
/// The provider's rules the worker checks before it connects: the message is failed or parked with the provider's
/// code and costs no SMTP call (the simulator sees no transaction) and no attempt.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ValidationFailureTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_all_zero_emailId_is_refused_with_a_reason_and_never_blocks_a_later_one()
    {
        var zero = TestMessages.Email() with { EmailId = Guid.Empty };
        var valid = TestMessages.Email();
        await fixture.PublishRawAsync([zero, zero with { Subject = "another producer's mistake" }, valid]);

        var row = await fixture.WaitForTerminalAsync(valid.EmailId);
        await fixture.WaitForQueueAsync("send-email_error", 2);

        Assert.Equal(EmailStatus.Sent, row.Status);
        await using var db = fixture.CreateDbContext();
        Assert.False(db.EmailMessages.Any(e => e.EmailId == Guid.Empty));
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var faults = await QueueChecks.ReadQueueAsync(channel, "send-email_error", 2, TimeSpan.FromSeconds(10));
        Assert.All(faults, f => Assert.Contains("all zeros", FailureChecks.Header(f, "MT-Fault-Message"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fifty_one_recipients_fail_as_TooManyRecipients_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with
        {
            To = [.. Enumerable.Range(0, 51).Select(_ => new EmailAddress { Address = $"user-{Guid.NewGuid():N}@example.org" })],
        };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, "FailedOperation.TooManyRecipients");
        Assert.Contains("51", row.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(51, row.ToAddresses.Count);
        await fixture.AssertInNoQueueAsync();
    }

    [Fact]
    public async Task Fifty_recipients_are_sent()
    {
        var command = TestMessages.Email() with
        {
            To = [.. Enumerable.Range(0, 50).Select(_ => new EmailAddress { Address = $"user-{Guid.NewGuid():N}@example.org" })],
        };

        var row = await PublishAndWaitAsync(command);

        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage}");
        Assert.Equal(50, Assert.Single(fixture.Simulator.Messages).RcptTo.Count);
    }

    [Fact]
    public async Task Eleven_attachments_are_dead_lettered_as_TooManyAttachments_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with
        {
            Attachments = [.. Enumerable.Range(1, 11).Select(i => Attachment($"part-{i}.txt", 10))],
        };

        await AssertOversizeAsync(command, "FailedOperation.TooManyAttachments");
    }

    [Fact]
    public async Task An_attachment_over_4_MB_is_dead_lettered_as_AttachContentToolarge_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with { Attachments = [Attachment("scan.pdf", (4 * MiB) + 1)] };

        var row = await AssertOversizeAsync(command, "FailedOperation.AttachContentToolarge");

        Assert.Contains("scan.pdf", row.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>
    /// 9 MB of attachments also makes a message of about 12.3 MB on the wire, over the 10 MB message limit. The
    /// attachment rule is checked first and its code is the specific one (the SES SMTP guide: attachments at most 8 MB
    /// in all; the SendEmail API reference: AttachContentToolarge "the overall limit for all attachments"), so that is
    /// the code an operator sees.
    /// </summary>
    [Fact]
    public async Task Attachments_over_8_MB_in_total_are_dead_lettered_as_AttachContentToolarge_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with
        {
            Attachments = [Attachment("a.bin", 3 * MiB), Attachment("b.bin", 3 * MiB), Attachment("c.bin", 3 * MiB)],
        };

        var row = await AssertOversizeAsync(command, "FailedOperation.AttachContentToolarge");

        Assert.Contains("total", row.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>
    /// Base64 in 76-character lines makes 7.4 MB of attachments about 10.1 MB on the wire: under the attachment rule, over
    /// the message rule (the SES SMTP guide: total message below 10 MB; SES SMTP error codes: around 9-10 MB the
    /// provider just closes the connection). The worker measures the composed message and parks it before connecting.
    /// </summary>
    [Fact]
    public async Task Attachments_under_8_MB_that_make_the_message_over_10_MB_on_the_wire_are_dead_lettered_without_an_SMTP_call()
    {
        var half = (int)(3.7 * MiB);
        var command = TestMessages.Email() with { Attachments = [Attachment("a.bin", half), Attachment("b.bin", half)] };

        var row = await AssertOversizeAsync(command, "FailedOperation.EmailContentToolarge");

        Assert.True(row.SizeBytes >= 10 * MiB, $"size {row.SizeBytes}");
        Assert.Contains("on the wire", row.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_1_MB_is_dead_lettered_as_EmailContentToolarge_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with { Text = new string('x', MiB + 1), Html = null };

        await AssertOversizeAsync(command, "FailedOperation.EmailContentToolarge");
    }

    /// <summary>
    /// Every body part goes out base64-encoded, so 800 KB of text is about 1.08 MB on the wire. The provider's rule is
    /// "the email body other than attachments cannot exceed 1 MB" (SES SMTP error codes); the simulator takes the
    /// stricter reading the original design asks for and measures it as sent. The worker must catch it before
    /// connecting, not pay an SMTP call and a rate-limit slot to hear the provider refuse it.
    /// </summary>
    [Fact]
    public async Task A_body_under_1_MB_that_is_over_1_MB_as_sent_is_dead_lettered_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with { Text = new string('x', 800 * 1024), Html = null };

        await AssertOversizeAsync(command, "FailedOperation.EmailContentToolarge");
    }

    [Fact]
    public async Task An_attachment_that_is_not_base64_fails_as_AttachContentIsWrong_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with
        {
            Attachments = [new EmailAttachment { FileName = "broken.pdf", ContentType = "application/pdf", Content = "this is *not* base64!" }],
        };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, "InvalidParameterValue.AttachContentIsWrong");
        Assert.Contains("broken.pdf", row.FailureMessage, StringComparison.Ordinal);
        await fixture.AssertInNoQueueAsync();
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("user@")]
    [InlineData("@example.org")]
    [InlineData("user@localhost")]
    [InlineData("Some One <someone@example.org>")]
    public async Task A_malformed_recipient_fails_as_IncorrectEmail_without_an_SMTP_call(string address)
    {
        var command = TestMessages.Email() with
        {
            To = [new EmailAddress { Address = $"fine-{Guid.NewGuid():N}@example.org" }, new EmailAddress { Address = address }],
        };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, "FailedOperation.IncorrectEmail");
        await fixture.AssertInNoQueueAsync();
    }

    /// <summary>
    /// The provider's own replies for these are "FailedOperation: msg.From is null" / "msg.Subject is null" / "msg.Body is null"
    /// (SES SMTP error codes); the worker uses the more specific codes of the SendEmail API reference and quotes the SMTP
    /// text in its message.
    /// </summary>
    [Theory]
    [InlineData("from", "InvalidParameterValue.EmailAddressIsNULL")]
    [InlineData("from-blank", "InvalidParameterValue.EmailAddressIsNULL")]
    [InlineData("to", "InvalidParameterValue.EmailAddressIsNULL")]
    [InlineData("to-empty", "InvalidParameterValue.EmailAddressIsNULL")]
    [InlineData("subject", "MissingParameter")]
    [InlineData("subject-blank", "MissingParameter")]
    [InlineData("body", "FailedOperation.MissingEmailContent")]
    public async Task A_missing_required_field_fails_with_its_code_without_an_SMTP_call(string missing, string code)
    {
        var valid = TestMessages.Email();
        var command = missing switch
        {
            "from" => valid with { From = null },
            "from-blank" => valid with { From = new EmailAddress { Address = " " } },
            "to" => valid with { To = null },
            "to-empty" => valid with { To = [] },
            "subject" => valid with { Subject = null },
            "subject-blank" => valid with { Subject = "  " },
            "body" => valid with { Text = null, Html = "" },
            _ => throw new ArgumentOutOfRangeException(nameof(missing)),
        };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, code);
        await fixture.AssertInNoQueueAsync();
    }

    [Fact]
    public async Task A_subject_of_999_characters_fails_and_one_of_998_is_sent()
    {
        var tooLong = TestMessages.Email(subject: new string('s', 999));
        var longest = TestMessages.Email(subject: new string('s', 998));

        var refused = await PublishAndWaitAsync(tooLong);
        var sent = await PublishAndWaitAsync(longest);

        Assert.True(sent.Status == EmailStatus.Sent, $"998 characters: {sent.Status} {sent.FailureCode} {sent.FailureMessage}");
        Assert.Single(fixture.Simulator.Messages);
        Assert.Equal(longest.To![0].Address, Assert.Single(fixture.Simulator.Transactions).RcptTo.Single());
        Assert.Equal(EmailStatus.Failed, refused.Status);
        Assert.Equal("InvalidParameterValue", refused.FailureCode);
        Assert.Contains("999", refused.FailureMessage, StringComparison.Ordinal);
        Assert.Equal(0, refused.Attempts);
        Assert.Empty(refused.SendAttempts);
    }

    /// <summary>
    /// The SES FAQ counts characters: 998 of them pass. An emoji is one character but two UTF-16 code units, so a subject of
    /// 998 emoji must be sent (the simulator counts it as 998 and accepts it), not refused as 1996 characters long.
    /// </summary>
    [Fact]
    public async Task A_subject_of_998_characters_outside_the_BMP_is_sent()
    {
        var command = TestMessages.Email(subject: string.Concat(Enumerable.Repeat("\U0001F4E6", 998)));

        var row = await PublishAndWaitAsync(command);

        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode}: {row.FailureMessage}");
        Assert.Single(fixture.Simulator.Messages);
    }

    /// <summary>
    /// A 2000-character line cannot come from a producer's Message-ID: the validator caps it at 250 characters first,
    /// so that path never reaches the composed-line check.
    /// </summary>
    [Fact]
    public async Task A_2000_character_MessageId_fails_as_InvalidParameterValue_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with { MessageId = new string('m', 1988) + "@example.com" };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, "InvalidParameterValue");
        Assert.Contains("MessageId", row.FailureMessage, StringComparison.Ordinal);
        await fixture.AssertInNoQueueAsync();
    }

    /// <summary>
    /// Almost nothing a producer sends can make a 2000-character line: bodies go out base64 in 76-character lines, and
    /// MimeKit folds or encodes subjects (998 characters come out as lines of about 80), display names and attachment
    /// names of any length; Message-IDs are capped at 250 characters by the validator. A MIME type is a single token
    /// that cannot be folded, so an attachment type of 2100 characters is the one way left: the worker measures the
    /// composed message's longest line and fails it before connecting, as the provider would ("too longer line", SES SMTP
    /// error codes).
    /// </summary>
    [Fact]
    public async Task A_line_of_2000_characters_or_more_fails_as_LineTooLong_without_an_SMTP_call()
    {
        var command = TestMessages.Email() with
        {
            Attachments = [new EmailAttachment { FileName = "data.bin", ContentType = "application/x-" + new string('n', 2100), Content = Convert.ToBase64String("hi"u8.ToArray()) }],
        };

        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.Failed, "Smtp.LineTooLong");
        Assert.Contains("2000", row.FailureMessage, StringComparison.Ordinal);
        await fixture.AssertInNoQueueAsync();
    }

    /// <summary>The long values that do not make a long line: folded or encoded by the composer, accepted by the provider.</summary>
    [Fact]
    public async Task Long_names_and_a_long_attachment_name_are_folded_and_sent_without_a_long_line()
    {
        var command = TestMessages.Email() with
        {
            From = new EmailAddress { Address = SesWorkerFixture.Sender, Name = new string('f', 2100) },
            To = [new EmailAddress { Address = $"user-{Guid.NewGuid():N}@example.org", Name = new string('t', 2100) }],
            Attachments = [new EmailAttachment { FileName = new string('n', 2100) + ".txt", ContentType = "text/plain", Content = Convert.ToBase64String("hi"u8.ToArray()) }],
        };

        var row = await PublishAndWaitAsync(command);

        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage}");
        var wire = System.Text.Encoding.ASCII.GetString(Assert.Single(fixture.Simulator.Messages).Data);
        Assert.True(wire.Split("\r\n").Max(l => l.Length) < 2000, "a line of 2000 characters or more reached the provider");
    }

    private async Task<EmailMessage> PublishAndWaitAsync(SendEmail command)
    {
        await fixture.PublishAsync(command);
        return await fixture.WaitForTerminalAsync(command.EmailId);
    }

    private async Task<EmailMessage> AssertOversizeAsync(SendEmail command, string code)
    {
        var published = DateTimeOffset.UtcNow;
        var row = await PublishAndWaitAsync(command);

        fixture.AssertCaughtBeforeConnecting(row, EmailStatus.DeadLettered, code);
        var parked = await fixture.TakeDeadLetterAsync(FailureChecks.OversizeQueue, command.EmailId, TimeSpan.FromSeconds(10));
        FailureChecks.AssertDeadLetterHeaders(parked, command.EmailId, "oversize", code, row.FailureMessage, attempts: 0, published);
        Assert.Equal(SesWorkerFixture.AppId, FailureChecks.Header(parked, "sesworker-app-id"));
        Assert.Equal(0u, await fixture.CountAsync(FailureChecks.RateLimitedQueue));
        return row;
    }

    private static EmailAttachment Attachment(string name, int bytes) => new()
    {
        FileName = name,
        ContentType = "application/octet-stream",
        Content = Convert.ToBase64String(new byte[bytes]),
    };
}
