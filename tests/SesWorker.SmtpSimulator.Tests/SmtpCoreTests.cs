using System.Text;
using System.Text.Json;
using MailKit.Security;
using MimeKit;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class SmtpCoreTests
{
    [Fact]
    public async Task Message_sent_with_MailKit_is_recorded_with_its_envelope_and_files()
    {
        var directory = Directory.CreateTempSubdirectory("smtp-sim-").FullName;
        await using var server = await TestSmtp.StartAsync(o => o.RecordDirectory = directory);
        using var client = await TestSmtp.ConnectAsync(server);

        var reply = await client.SendAsync(TestSmtp.Message(subject: "Recorded"), TestSmtp.Ct);
        await client.DisconnectAsync(true, TestSmtp.Ct);

        Assert.StartsWith("2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        var message = Assert.Single(server.Messages);
        Assert.Equal(TestSmtp.AppId, message.AppId);
        Assert.Equal(TestSmtp.Sender, message.AuthenticatedUser);
        Assert.Equal(TestSmtp.Sender, message.MailFrom);
        Assert.Equal(["user@example.org"], message.RcptTo);
        Assert.Equal("Recorded", MimeMessage.Load(new MemoryStream(message.Data), TestSmtp.Ct).Subject);
        var transaction = Assert.Single(server.Transactions);
        Assert.True(transaction.Accepted);
        Assert.Equal(250, transaction.ReplyCode);

        var eml = Assert.Single(Directory.GetFiles(directory, "*.eml"));
        Assert.EndsWith($"-{reply[^32..]}.eml", eml, StringComparison.Ordinal);
        Assert.Equal(message.Data, await File.ReadAllBytesAsync(eml, TestSmtp.Ct));
        using var envelope = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(eml, ".json"), TestSmtp.Ct));
        Assert.Equal(TestSmtp.AppId, envelope.RootElement.GetProperty("AppId").GetString());
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Wrong_password_is_refused_with_535()
    {
        await using var server = await TestSmtp.StartAsync();

        var error = await Assert.ThrowsAsync<AuthenticationException>(() => TestSmtp.ConnectAsync(server, password: "wrong"));

        Assert.Contains("Authentication failed", error.Message, StringComparison.Ordinal);
        await using var raw = await RawSmtpClient.ConnectAsync(server);
        await raw.CommandAsync("EHLO test");
        Assert.Equal("535 5.7.8 Authentication failed", await raw.CommandAsync("AUTH PLAIN " + Convert.ToBase64String("\0nobody@x.org\0pw"u8)));
    }

    [Fact]
    public async Task Auth_login_and_plain_continuation_are_accepted_and_username_is_case_insensitive()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.ConnectAsync(server);
        await raw.CommandAsync("EHLO test");

        Assert.Equal("334 VXNlcm5hbWU6", await raw.CommandAsync("AUTH LOGIN"));
        Assert.Equal("334 UGFzc3dvcmQ6", await raw.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(TestSmtp.Sender.ToUpperInvariant()))));
        Assert.StartsWith("235", await raw.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(TestSmtp.Password))), StringComparison.Ordinal);

        await using var plain = await RawSmtpClient.ConnectAsync(server);
        await plain.CommandAsync("EHLO test");
        Assert.Equal("334", (await plain.CommandAsync("AUTH PLAIN")).TrimEnd());
        Assert.StartsWith("235", await plain.CommandAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{TestSmtp.Sender}\0{TestSmtp.Password}"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_without_authentication_is_refused_with_530_and_recorded()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.ConnectAsync(server);

        Assert.StartsWith("220 ", raw.Greeting, StringComparison.Ordinal);
        Assert.StartsWith("250", await raw.CommandAsync("EHLO test"), StringComparison.Ordinal);
        Assert.Equal("530 5.7.0 Authentication required", await raw.CommandAsync("MAIL FROM:<a@b.org>"));
        Assert.StartsWith("502", await raw.CommandAsync("VRFY a@b.org"), StringComparison.Ordinal);
        Assert.StartsWith("221", await raw.CommandAsync("QUIT"), StringComparison.Ordinal);

        var transaction = Assert.Single(server.Transactions);
        Assert.False(transaction.Accepted);
        Assert.Equal(530, transaction.ReplyCode);
        Assert.Null(transaction.AppId);
    }

    [Fact]
    public async Task Several_messages_share_one_connection_with_rset_and_noop_between()
    {
        await using var server = await TestSmtp.StartAsync();
        using var client = await TestSmtp.ConnectAsync(server);

        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(TestSmtp.Message(to: $"user{i}@example.org", subject: $"n{i}"), TestSmtp.Ct);
            await client.NoOpAsync(TestSmtp.Ct);
        }

        var messages = await server.WaitForMessagesAsync(5, TimeSpan.FromSeconds(5), TestSmtp.Ct);
        Assert.Single(messages.Select(m => m.ConnectionId).Distinct());
        Assert.Equal(["user0@example.org", "user1@example.org", "user2@example.org", "user3@example.org", "user4@example.org"], messages.Select(m => m.RcptTo[0]));
        Assert.True(client.Capabilities.HasFlag(MailKit.Net.Smtp.SmtpCapabilities.Pipelining));
    }

    [Fact]
    public async Task Concurrent_clients_are_served_independently()
    {
        await using var server = await TestSmtp.StartAsync();

        async Task SendManyAsync(string user, int count)
        {
            using var client = await TestSmtp.ConnectAsync(server, user);
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(TestSmtp.Message(from: user, to: $"r{i}@example.org"), TestSmtp.Ct);
            }

            await client.DisconnectAsync(true, TestSmtp.Ct);
        }

        await Task.WhenAll(SendManyAsync(TestSmtp.Sender, 8), SendManyAsync(TestSmtp.OtherSender, 8));

        var messages = server.Messages;
        Assert.Equal(16, messages.Count);
        Assert.Equal(8, messages.Count(m => m.AppId == TestSmtp.OtherAppId));
        Assert.Equal(2, messages.Select(m => m.ConnectionId).Distinct().Count());
    }

    [Fact]
    public async Task Data_is_dot_unstuffed_and_kept_byte_for_byte()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        const string head = "From: noreply@mail.example.com\r\nTo: user@example.org\r\nSubject: dots\r\n" +
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n";

        var reply = await raw.SendAsync(head + "..leading dot\r\n..\r\n...\r\nend\r\n.\r\n");

        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        var message = Assert.Single(server.Messages);
        Assert.Equal(head + ".leading dot\r\n.\r\n..\r\nend\r\n", Encoding.UTF8.GetString(message.Data));
    }

    [Fact]
    public async Task Pipelined_commands_in_one_write_are_answered_in_order()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        await raw.WriteAsync(Encoding.ASCII.GetBytes(
            "MAIL FROM:<noreply@mail.example.com>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"));

        Assert.StartsWith("250 2.1.0", await raw.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", await raw.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250 2.1.5", await raw.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("354", await raw.ReadReplyAsync(), StringComparison.Ordinal);
        await raw.WriteAsync("From: noreply@mail.example.com\r\nTo: a@example.org\r\nSubject: p\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nbody\r\n.\r\nRSET\r\n"u8.ToArray());
        Assert.StartsWith("250 2.0.0 Ok: queued", await raw.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal("250 2.0.0 Ok", await raw.ReadReplyAsync());
        Assert.Equal(["a@example.org", "b@example.org"], Assert.Single(server.Messages).RcptTo);
    }

    [Fact]
    public async Task Client_that_drops_without_quit_does_not_disturb_the_server()
    {
        await using var server = await TestSmtp.StartAsync();
        var dropped = await RawSmtpClient.LoginAsync(server);
        await dropped.CommandAsync("MAIL FROM:<noreply@mail.example.com>");
        await dropped.DisposeAsync();

        using var client = await TestSmtp.ConnectAsync(server);
        await client.SendAsync(TestSmtp.Message(), TestSmtp.Ct);

        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Overlong_command_line_gets_an_error_and_the_session_continues()
    {
        await using var server = await TestSmtp.StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var reply = await raw.CommandAsync("NOOP " + new string('x', 70_000));

        Assert.StartsWith("554 5.0.0", reply, StringComparison.Ordinal);
        Assert.Equal("250 2.0.0 Ok", await raw.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task Wait_for_messages_times_out_when_nothing_arrives()
    {
        await using var server = await TestSmtp.StartAsync();

        await Assert.ThrowsAsync<TimeoutException>(() => server.WaitForMessagesAsync(1, TimeSpan.FromMilliseconds(100), TestSmtp.Ct));
    }

    [Fact]
    public async Task Exported_certificate_is_pem_for_localhost()
    {
        await using var server = await TestSmtp.StartAsync();

        Assert.StartsWith("-----BEGIN CERTIFICATE-----", server.ExportCertificatePem(), StringComparison.Ordinal);
        Assert.Equal("CN=localhost", server.Certificate.Subject);
        Assert.True(server.Certificate.HasPrivateKey);
    }
}
