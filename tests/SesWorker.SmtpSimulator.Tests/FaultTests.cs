using System.Diagnostics;
using MailKit.Net.Smtp;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Fail_next_replies_the_given_code_to_the_targeted_account_only()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.FailNext(FaultTarget.Account(TestSmtp.Sender), 2, 451, "4.3.0", "try later");
        await using var raw = await RawSmtpClient.LoginAsync(server);
        using var other = await TestSmtp.ConnectAsync(server, TestSmtp.OtherSender);

        await other.SendAsync(TestSmtp.Message(from: TestSmtp.OtherSender), TestSmtp.Ct);
        Assert.Equal("451 4.3.0 try later", await raw.SendAsync(RawMessage.Text()));
        Assert.Equal("451 4.3.0 try later", await raw.SendAsync(RawMessage.Text()));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);

        Assert.Equal([451, 451], server.Transactions.Where(t => !t.Accepted).Select(t => t.ReplyCode));
        Assert.Equal(2, server.Messages.Count);
    }

    [Fact]
    public async Task Fail_next_with_provider_code_targets_a_recipient_and_mailkit_sees_it()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.FailNextWithProviderCode(FaultTarget.Recipient("blocked@example.org"), 1, "FailedOperation.EmailAddrInBlacklist", "The email address is in the blocklist.");
        using var client = await TestSmtp.ConnectAsync(server);

        await client.SendAsync(TestSmtp.Message(to: "fine@example.org"), TestSmtp.Ct);
        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(TestSmtp.Message(to: "blocked@example.org"), TestSmtp.Ct));
        await client.SendAsync(TestSmtp.Message(to: "blocked@example.org"), TestSmtp.Ct);

        Assert.Equal(554, (int)error.StatusCode);
        Assert.Contains("\"Code\":\"FailedOperation.EmailAddrInBlacklist\"", error.Message, StringComparison.Ordinal);
        Assert.Equal("FailedOperation.EmailAddrInBlacklist", server.Transactions.Single(t => !t.Accepted).ErrorCode);
    }

    [Fact]
    public async Task Delay_data_holds_the_reply_back()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.DelayData(FaultTarget.Any, TimeSpan.FromMilliseconds(400), count: 1);
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var watch = Stopwatch.StartNew();
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
        var delayed = watch.Elapsed;
        watch.Restart();
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);

        Assert.True(delayed >= TimeSpan.FromMilliseconds(390), $"took {delayed}");
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(390), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Drop_after_data_closes_the_connection_but_keeps_the_message_by_default()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.DropAfterData(FaultTarget.Account(TestSmtp.Sender), 1);
        await using var dropped = await RawSmtpClient.LoginAsync(server);

        Assert.Equal(string.Empty, await dropped.SendAsync(RawMessage.Text()));

        Assert.Single(server.Messages);
        Assert.True(Assert.Single(server.Transactions).Accepted);
        await using var next = await RawSmtpClient.LoginAsync(server);
        Assert.StartsWith("250", await next.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_after_data_can_discard_the_message()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.DropAfterData(FaultTarget.Any, 1, keepMessage: false);
        using var client = await TestSmtp.ConnectAsync(server);

        await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(TestSmtp.Message(), TestSmtp.Ct));

        Assert.Empty(server.Messages);
        var transaction = Assert.Single(server.Transactions);
        Assert.Equal((false, 0), (transaction.Accepted, transaction.ReplyCode));
    }

    [Fact]
    public async Task Refused_connections_fail_during_the_window_and_work_after_it()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.RefuseConnectionsFor(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<Exception>(() => RawSmtpClient.ConnectAsync(server));
        await Task.Delay(600, TestSmtp.Ct);

        await using var raw = await RawSmtpClient.LoginAsync(server);
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_clears_the_faults()
    {
        await using var server = await TestSmtp.StartAsync();
        server.Faults.FailNext(FaultTarget.Any, 5, 421, "4.7.0", "closing");
        server.Reset();
        await using var raw = await RawSmtpClient.LoginAsync(server);

        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
    }
}
