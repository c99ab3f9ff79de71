using System.Text;
using MailKit.Net.Smtp;
using MimeKit;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class ProviderRuleTests
{
    private const string Weather = "554 5.0.0 Error: transaction failed, blame it on the weather: ";

    public static TheoryData<string, string, string> Refused => new()
    {
        { RawMessage.Of(RawMessage.To + RawMessage.Subject + RawMessage.TextType, "x"), "FailedOperation", "msg.From is null" },
        { RawMessage.Of(RawMessage.From + RawMessage.Subject + RawMessage.TextType, "x"), "FailedOperation", "msg.To is null" },
        { RawMessage.Of(RawMessage.From + RawMessage.To + RawMessage.TextType, "x"), "FailedOperation", "msg.Subject is null" },
        { RawMessage.Of(RawMessage.From + RawMessage.To + "Subject: " + new string('s', 999) + "\r\n" + RawMessage.TextType, "x"), "FailedOperation", "998" },
        { RawMessage.Of(RawMessage.Headers + "Cc: other@example.org\r\n" + RawMessage.TextType, "x"), "FailedOperation", "Cc is not supported" },
        { RawMessage.Of(RawMessage.Headers + "Bcc: other@example.org\r\n" + RawMessage.TextType, "x"), "FailedOperation", "Bcc is not supported" },
        { RawMessage.Of(RawMessage.From + RawMessage.To + RawMessage.Subject + "MIME-Version: 2.0\r\n" + RawMessage.TextType, "x"), "FailedOperation", "Mime-Version must in" },
        { RawMessage.Of(RawMessage.Headers, "no content type"), "FailedOperation", "Content-Type must in" },
        { RawMessage.Of(RawMessage.Headers + "Content-Type: text/plain; charset=ISO-8859-1\r\n", "x"), "FailedOperation", "Content-Type must in" },
        { RawMessage.Of(RawMessage.Headers + "Content-Type: multipart/signed; boundary=\"b-1\"\r\n", "--b-1\r\n" + RawMessage.TextPart() + "\r\n--b-1--"), "FailedOperation", "Content-Type must in" },
        { RawMessage.Mixed(RawMessage.TextPart(), "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: inline\r\n\r\nAAAA"), "FailedOperation", "Content-Type must in" },
        { RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(3, encoding: "quoted-printable", content: "abc")), "FailedOperation", "Content-Transfer-Encoding must in" },
        { RawMessage.Of(RawMessage.Headers + RawMessage.TextType + "Content-Transfer-Encoding: x-uuencode\r\n", "x"), "FailedOperation", "Content-Transfer-Encoding must in" },
        { RawMessage.Mixed([RawMessage.TextPart(), .. Enumerable.Range(0, 11).Select(i => RawMessage.Attachment(10, $"a{i}.bin"))]), "FailedOperation.TooManyAttachments", "10 attachments" },
        { RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(0, content: "AAA*")), "InvalidParameterValue.AttachContentIsWrong", "base64" },
        { RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(0, content: "AA==AAAA")), "InvalidParameterValue.AttachContentIsWrong", "base64" },
        { RawMessage.Of(RawMessage.Headers + RawMessage.TextType + "Content-Transfer-Encoding: base64\r\n", "this is not base64!"), "InvalidParameterValue.EmailContentIsWrong", "base64" },
        { RawMessage.Of(RawMessage.Headers + RawMessage.TextType, "   "), "FailedOperation", "msg.Body is null" },
        { RawMessage.Mixed(RawMessage.Attachment(10)), "FailedOperation", "msg.Body is null" },
        { RawMessage.Of(RawMessage.From.Replace("noreply@", "someone@", StringComparison.Ordinal) + RawMessage.To + RawMessage.Subject + RawMessage.TextType, "x"), "FailedOperation.NotAuthenticatedSender", "not verified" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Message_breaking_a_provider_rule_gets_the_business_error(string data, string code, string messagePart)
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.SendAsync(data);

        var error = ProviderReply.Parse(reply);
        Assert.Equal(code, error.Code);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Messages);
        var transaction = Assert.Single(server.Transactions);
        Assert.Equal((false, 554, code), (transaction.Accepted, transaction.ReplyCode, transaction.ErrorCode));
        Assert.Equal("250 2.0.0 Ok", await raw.CommandAsync("NOOP"));
    }

    public static TheoryData<string> Accepted => new()
    {
        RawMessage.Text(),
        RawMessage.Of(RawMessage.From + RawMessage.To + "Subject: " + new string('s', 998) + "\r\n" + RawMessage.TextType, "x"),
        RawMessage.Of(RawMessage.From + RawMessage.To + RawMessage.Subject + "MIME-Version:\r\n" + RawMessage.TextType, "empty MIME-Version is allowed"),
        RawMessage.Of(RawMessage.From + RawMessage.To + RawMessage.Subject + "Content-Type: text/html; charset=\"utf-8\"\r\n", "<p>no MIME-Version at all</p>"),
        RawMessage.Of(RawMessage.Headers + RawMessage.TextType + "Content-Transfer-Encoding: base64\r\n", "aGVsbG8gd29ybGQ="),
        RawMessage.Mixed([RawMessage.TextPart(), .. Enumerable.Range(0, 10).Select(i => RawMessage.Attachment(10, $"a{i}.bin"))]),
        RawMessage.Of(
            RawMessage.Headers + "Content-Type: multipart/related; boundary=\"r\"\r\n",
            "--r\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\n" + RawMessage.TextPart() + "\r\n--a\r\n" +
            "Content-Type: text/html; charset=UTF-8\r\n\r\n<b>hi</b>\r\n--a--\r\n--r\r\n" + RawMessage.Attachment(100) + "\r\n--r--"),
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Message_within_the_rules_is_accepted(string data)
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        Assert.StartsWith("250 2.0.0 Ok: queued as ", await raw.SendAsync(data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_business_error_carries_a_fresh_request_id_in_one_compact_json_line()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        var noSubject = RawMessage.Of(RawMessage.From + RawMessage.To + RawMessage.TextType, "x");

        var first = await raw.SendAsync(noSubject);
        var second = await raw.SendAsync(noSubject);

        Assert.NotEqual(ProviderReply.Parse(first).RequestId, ProviderReply.Parse(second).RequestId);
        Assert.Matches("""^554 5\.0\.0 Error: transaction failed, blame it on the weather: ##SES-response-json: \{"Response":\{"RequestId":"[0-9a-f-]{36}","QcloudError":\{"Error":\{"Code":"FailedOperation","Message":"msg\.Subject is null"\}\}\}\}$""", first);
    }

    [Fact]
    public async Task Mail_from_another_address_than_the_authenticated_sender_is_refused()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.SendAsync(RawMessage.Text(), from: TestSmtp.OtherSender);

        Assert.Equal("FailedOperation.NotAuthenticatedSender", ProviderReply.Code(reply));
    }

    [Fact]
    public async Task More_than_50_recipients_are_refused_and_50_are_accepted()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        var recipients = Enumerable.Range(0, 51).Select(i => $"r{i}@example.org").ToArray();

        Assert.Equal("FailedOperation.TooManyRecipients", ProviderReply.Code(await raw.SendAsync(RawMessage.Text(), recipients: recipients)));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: recipients[..50]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Line_of_2000_characters_gets_the_system_error_and_1999_pass()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        Assert.Equal(Weather + "smtp: too longer line in input stream", await raw.SendAsync(RawMessage.Text(new string('x', 2000))));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(new string('x', 1999))), StringComparison.Ordinal);
        Assert.Equal(Weather + "smtp: too longer line in input stream", await raw.SendAsync(RawMessage.Text(new string('y', 100_000))));
    }

    [Fact]
    public async Task Attachment_over_4_MB_is_too_large()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.SendAsync(RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment((4 * 1024 * 1024) + 1)));

        Assert.Equal("FailedOperation.AttachContentToolarge", ProviderReply.Code(reply));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(4 * 1024 * 1024))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attachments_over_the_total_are_too_large()
    {
        await using var server = await TestSmtp.StartAsync(o => o.MaxTotalAttachmentBytes = 100_000);
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.SendAsync(RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(60_000, "a.bin"), RawMessage.Attachment(60_000, "b.bin")));

        Assert.Equal("FailedOperation.AttachContentToolarge", ProviderReply.Code(reply));
    }

    [Fact]
    public async Task Body_over_1_MB_without_attachments_is_too_large()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        var line = new string('x', 998) + "\r\n";

        var reply = await raw.SendAsync(RawMessage.Text(string.Concat(Enumerable.Repeat(line, 1060))));

        Assert.Equal("FailedOperation.EmailContentToolarge", ProviderReply.Code(reply));
    }

    [Fact]
    public async Task Data_over_10_MB_makes_the_server_close_the_connection()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.SendAsync(RawMessage.Mixed(RawMessage.TextPart(), RawMessage.Attachment(8 * 1024 * 1024)));

        Assert.Equal(string.Empty, reply);
        var transaction = Assert.Single(server.Transactions);
        Assert.Equal((false, 0), (transaction.Accepted, transaction.ReplyCode));
    }

    [Fact]
    public async Task Message_composed_like_the_worker_with_alternative_body_and_attachment_is_accepted()
    {
        await using var server = await TestSmtp.StartAsync();
        using var client = await TestSmtp.ConnectAsync(server);
        var message = TestSmtp.Message();
        var body = new BodyBuilder { TextBody = "plain ünïcode", HtmlBody = "<p>html</p>" };
        body.Attachments.Add("report.pdf", new byte[300_000], new ContentType("application", "pdf"));
        message.Body = body.ToMessageBody();

        await client.SendAsync(message, TestSmtp.Ct);

        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Rules_can_be_switched_off()
    {
        await using var server = await TestSmtp.StartAsync(o => o.EnforceRules = false);
        await using var raw = await RawSmtpClient.LoginAsync(server);

        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Of(RawMessage.From, "no subject, no To")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailKit_sees_a_refusal_as_a_554_command_exception()
    {
        await using var server = await TestSmtp.StartAsync();
        using var client = await TestSmtp.ConnectAsync(server);
        var message = TestSmtp.Message();
        message.Cc.Add(MailboxAddress.Parse("cc@example.org"));

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message, TestSmtp.Ct));

        Assert.Equal(554, (int)error.StatusCode);
        Assert.Contains("##SES-response-json: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(error.Message), error.Message.Length);
    }
}
