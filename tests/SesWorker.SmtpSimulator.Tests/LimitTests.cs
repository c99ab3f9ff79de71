using Microsoft.Extensions.Time.Testing;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class LimitTests
{
    private const string SecondSender = "billing@mail.example.com";

    // 10:00 in Beijing, the provider's clock for the daily reset.
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero));

    private Task<SmtpSimulatorServer> StartAsync() => TestSmtp.StartAsync(o =>
    {
        o.TimeProvider = time;
        o.Accounts.Add(new SimulatorAccount { AppId = TestSmtp.AppId, Username = SecondSender, Password = TestSmtp.Password });
    });

    [Fact]
    public async Task All_senders_of_one_appId_share_20_calls_per_second()
    {
        await using var server = await StartAsync();
        await using var first = await RawSmtpClient.LoginAsync(server);
        await using var second = await RawSmtpClient.LoginAsync(server, SecondSender);
        await using var otherApp = await RawSmtpClient.LoginAsync(server, TestSmtp.OtherSender);

        for (var i = 0; i < 10; i++)
        {
            Assert.StartsWith("250", await first.SendAsync(RawMessage.Text(), recipients: $"a{i}@example.org"), StringComparison.Ordinal);
            Assert.StartsWith("250", await second.SendAsync(Mail(SecondSender), SecondSender, $"b{i}@example.org"), StringComparison.Ordinal);
        }

        Assert.Equal("RequestLimitExceeded.SmtpRateLimit", ProviderReply.Code(await first.SendAsync(RawMessage.Text())));
        Assert.StartsWith("250", await otherApp.SendAsync(Mail(TestSmtp.OtherSender), TestSmtp.OtherSender), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("RequestLimitExceeded.SmtpRateLimit", ProviderReply.Code(await second.SendAsync(Mail(SecondSender), SecondSender)));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.StartsWith("250", await second.SendAsync(Mail(SecondSender), SecondSender), StringComparison.Ordinal);

        Assert.Equal(20, server.MaxTransactionsInAnyWindow(TestSmtp.AppId, TimeSpan.FromSeconds(1)));
        Assert.Equal(21, server.MaxTransactionsInAnyWindow(TestSmtp.AppId, TimeSpan.FromSeconds(2)));
        var refused = server.Transactions.Where(t => !t.Accepted).ToList();
        Assert.Equal(2, refused.Count);
        Assert.All(refused, t => Assert.Equal(("RequestLimitExceeded.SmtpRateLimit", TestSmtp.AppId), (t.ErrorCode, t.AppId)));
    }

    [Fact]
    public async Task Refused_calls_count_against_the_window_too()
    {
        await using var server = await StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        for (var i = 0; i < 20; i++)
        {
            await raw.SendAsync(RawMessage.Text(), recipients: $"a{i}@example.org");
        }

        time.Advance(TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("RequestLimitExceeded.SmtpRateLimit", ProviderReply.Code(await raw.SendAsync(RawMessage.Text())));
        }

        // The accepted calls left the window, the 20 refused ones at 500 ms still fill it.
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal("RequestLimitExceeded.SmtpRateLimit", ProviderReply.Code(await raw.SendAsync(RawMessage.Text())));
        time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eleventh_mail_in_an_hour_to_one_recipient_is_refused_until_the_providers_midnight()
    {
        await using var server = await StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        await using var second = await RawSmtpClient.LoginAsync(server, SecondSender);
        for (var i = 0; i < 10; i++)
        {
            Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: "capped@example.org"), StringComparison.Ordinal);
        }

        Assert.Equal("FailedOperation.FrequencyLimit", ProviderReply.Code(await raw.SendAsync(RawMessage.Text(), recipients: ["other@example.org", "CAPPED@example.org"])));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: "other@example.org"), StringComparison.Ordinal);
        Assert.StartsWith("250", await second.SendAsync(Mail(SecondSender), SecondSender, "capped@example.org"), StringComparison.Ordinal);

        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal("FailedOperation.FrequencyLimit", ProviderReply.Code(await raw.SendAsync(RawMessage.Text(), recipients: "capped@example.org")));
        time.SetUtcNow(new DateTimeOffset(2026, 3, 1, 16, 0, 0, TimeSpan.Zero));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: "capped@example.org"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hourly_window_slides_when_the_cap_was_not_reached()
    {
        await using var server = await StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        for (var i = 0; i < 10; i++)
        {
            await raw.SendAsync(RawMessage.Text(), recipients: "r@example.org");
            time.Advance(TimeSpan.FromMinutes(5));
        }

        // The first mail (at 0 min) leaves the window at 60 min; it is now 50 min.
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: "r@example.org"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_clears_the_windows_and_the_history()
    {
        await using var server = await StartAsync();
        await using var raw = await RawSmtpClient.LoginAsync(server);
        for (var i = 0; i < 11; i++)
        {
            await raw.SendAsync(RawMessage.Text(), recipients: "r@example.org");
        }

        server.Reset();

        Assert.Empty(server.Messages);
        Assert.Empty(server.Transactions);
        Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text(), recipients: "r@example.org"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_set_to_zero_are_off()
    {
        await using var server = await TestSmtp.StartAsync(o =>
        {
            o.RatePerSecondPerAppId = 0;
            o.PerRecipientPerHour = 0;
            o.TimeProvider = time;
        });
        await using var raw = await RawSmtpClient.LoginAsync(server);

        for (var i = 0; i < 30; i++)
        {
            Assert.StartsWith("250", await raw.SendAsync(RawMessage.Text()), StringComparison.Ordinal);
        }
    }

    private static string Mail(string from) => RawMessage.Of(
        $"From: {from}\r\n" + RawMessage.To + RawMessage.Subject + RawMessage.MimeVersion + RawMessage.TextType, "hello");
}
