using Microsoft.Extensions.Time.Testing;
using SesWorker.SmtpSimulator.Counting;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class CountTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Mail_from_and_end_of_data_are_counted_per_appId_when_they_happen()
    {
        await using var server = await TestSmtp.StartAsync(o => o.TimeProvider = time);
        await using var raw = await RawSmtpClient.LoginAsync(server);
        await using var other = await RawSmtpClient.LoginAsync(server, TestSmtp.OtherSender);
        var start = time.GetUtcNow();

        Assert.StartsWith("250", await raw.CommandAsync($"MAIL FROM:<{TestSmtp.Sender}>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await raw.CommandAsync("RCPT TO:<user@example.org>"), StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.StartsWith("354", await raw.CommandAsync("DATA"), StringComparison.Ordinal);
        await raw.WriteAsync(System.Text.Encoding.UTF8.GetBytes(RawMessage.Text()));
        Assert.StartsWith("250", await raw.ReadReplyAsync(), StringComparison.Ordinal);

        // A transaction abandoned before DATA was still started: the MAIL FROM counts, there is no end of DATA.
        Assert.StartsWith("250", await raw.CommandAsync($"MAIL FROM:<{TestSmtp.Sender}>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await raw.CommandAsync("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("5", await other.CommandAsync("MAIL FROM:<unclosed"), StringComparison.Ordinal);

        Assert.Equal([start, start + TimeSpan.FromMilliseconds(300)], server.Counts.Times(TestSmtp.AppId, CountPoint.MailFrom));
        Assert.Equal([start + TimeSpan.FromMilliseconds(300)], server.Counts.Times(TestSmtp.AppId, CountPoint.EndOfData));
        Assert.Empty(server.Counts.Times(TestSmtp.OtherAppId, CountPoint.MailFrom));
        Assert.Equal([TestSmtp.AppId], server.Counts.AppIds);

        server.Reset();
        Assert.Empty(server.Counts.Times(TestSmtp.AppId, CountPoint.MailFrom));
    }

    [Fact]
    public async Task Refused_calls_count_at_the_end_of_data_and_windows_are_half_open()
    {
        await using var server = await TestSmtp.StartAsync(o =>
        {
            o.TimeProvider = time;
            o.RatePerSecondPerAppId = 3;
        });
        await using var raw = await RawSmtpClient.LoginAsync(server);

        for (var i = 0; i < 4; i++)
        {
            await raw.SendAsync(RawMessage.Text(), recipients: $"r{i}@example.org");
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        await raw.SendAsync(RawMessage.Text(), recipients: "late@example.org");

        // Calls at 0, 250, 500, 750 and 1000 ms: the 4th and the 5th find 3 calls in the second before them.
        Assert.Equal(2, server.Transactions.Count(t => !t.Accepted));
        Assert.Equal(4, server.Counts.MaxInAnySecond(TestSmtp.AppId, CountPoint.EndOfData));
        Assert.Equal(4, server.Counts.MaxInAnySecond(TestSmtp.AppId, CountPoint.MailFrom));
        Assert.Equal(2, server.Counts.MaxInAnyWindow(TestSmtp.AppId, CountPoint.MailFrom, TimeSpan.FromMilliseconds(500)));
        Assert.Equal(2, server.Counts.MaxInAnySecond(TestSmtp.AppId, CountPoint.EndOfData, since: time.GetUtcNow() - TimeSpan.FromMilliseconds(250)));
        Assert.Equal(3, server.MaxTransactionsInAnyWindow(TestSmtp.AppId, TimeSpan.FromSeconds(1)));
    }
}
