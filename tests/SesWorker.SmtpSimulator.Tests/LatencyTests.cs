using System.Diagnostics;
using System.Text;
using SesWorker.SmtpSimulator.Latency;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>The delays really happen on the wire, each on its own connection. Bounds are loose: the machine is shared.</summary>
public sealed class LatencyTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(5);

    [Fact]
    public async Task Each_reply_waits_for_its_own_latency()
    {
        await using var server = await TestSmtp.StartAsync(o =>
        {
            o.Latency.PerReply[SmtpReply.Greeting] = ReplyLatency.Fixed(TimeSpan.FromMilliseconds(150));
            o.Latency.PerReply[SmtpReply.MailFrom] = ReplyLatency.Fixed(TimeSpan.FromMilliseconds(200));
            o.Latency.PerReply[SmtpReply.EndOfData] = ReplyLatency.Fixed(TimeSpan.FromMilliseconds(250));
        });

        var watch = Stopwatch.StartNew();
        await using var raw = await RawSmtpClient.ConnectAsync(server);
        var greeting = watch.Elapsed;
        Assert.StartsWith("250", await raw.CommandAsync("EHLO test"), StringComparison.Ordinal);
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{TestSmtp.Sender}\0{TestSmtp.Password}"));
        Assert.StartsWith("235", await raw.CommandAsync($"AUTH PLAIN {token}"), StringComparison.Ordinal);
        var mail = await Timed(() => raw.CommandAsync($"MAIL FROM:<{TestSmtp.Sender}>"));
        var rcpt = await Timed(() => raw.CommandAsync("RCPT TO:<user@example.org>"));
        Assert.StartsWith("354", await raw.CommandAsync("DATA"), StringComparison.Ordinal);
        var endOfData = await Timed(async () =>
        {
            await raw.WriteAsync(Encoding.UTF8.GetBytes(RawMessage.Text()));
            return await raw.ReadReplyAsync();
        });

        Assert.InRange(greeting, TimeSpan.FromMilliseconds(150) - Slack, TimeSpan.FromSeconds(2));
        Assert.InRange(mail, TimeSpan.FromMilliseconds(200) - Slack, TimeSpan.FromSeconds(2));
        Assert.InRange(endOfData, TimeSpan.FromMilliseconds(250) - Slack, TimeSpan.FromSeconds(2));
        Assert.True(rcpt < TimeSpan.FromMilliseconds(150), $"RCPT has no latency but took {rcpt}");
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Uniform_latency_varies_between_its_bounds()
    {
        await using var server = await TestSmtp.StartAsync(o => o.Latency.Default = ReplyLatency.Parse("60ms±40ms"));
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var delays = new List<TimeSpan>();
        for (var i = 0; i < 20; i++)
        {
            delays.Add(await Timed(() => raw.CommandAsync("NOOP")));
        }

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(20) - Slack, TimeSpan.FromSeconds(1)));
        Assert.True(delays.Max() - delays.Min() > TimeSpan.FromMilliseconds(15), $"no jitter: {string.Join(", ", delays)}");
    }

    [Fact]
    public async Task Tail_latency_slows_its_share_of_replies()
    {
        await using var server = await TestSmtp.StartAsync(o =>
        {
            o.Latency.Seed = 11;
            o.Latency.PerReply[SmtpReply.Noop] = ReplyLatency.Parse("0,50%@300ms");
        });
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var delays = new List<TimeSpan>();
        for (var i = 0; i < 20; i++)
        {
            delays.Add(await Timed(() => raw.CommandAsync("NOOP")));
        }

        var slow = delays.Count(d => d >= TimeSpan.FromMilliseconds(300) - Slack);
        Assert.InRange(slow, 3, 17);
        Assert.Equal(20 - slow, delays.Count(d => d < TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Pipelined_replies_each_take_their_latency_in_order()
    {
        await using var server = await TestSmtp.StartAsync(o => o.Latency.Default = ReplyLatency.Fixed(TimeSpan.FromMilliseconds(100)));
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var watch = Stopwatch.StartNew();
        await raw.WriteAsync("NOOP\r\nNOOP\r\nNOOP\r\n"u8.ToArray());
        var replies = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("250", await raw.ReadReplyAsync(), StringComparison.Ordinal);
            replies.Add(watch.Elapsed);
        }

        Assert.InRange(replies[0], TimeSpan.FromMilliseconds(100) - Slack, TimeSpan.FromMilliseconds(190));
        Assert.InRange(replies[2], TimeSpan.FromMilliseconds(300) - Slack, TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_held_end_of_data_reply_delays_neither_another_connection_nor_is_it_skipped()
    {
        await using var server = await TestSmtp.StartAsync(o =>
        {
            o.Latency.HoldEveryNthEndOfData = 2;
            o.Latency.HoldFor = TimeSpan.FromSeconds(3);
        });
        await using var held = await RawSmtpClient.LoginAsync(server);
        await using var other = await RawSmtpClient.LoginAsync(server, TestSmtp.OtherSender);

        // The first end of DATA goes through; the second (the 2nd of the server) is held.
        Assert.StartsWith("250", await held.SendAsync(RawMessage.Text(), recipients: "a@example.org"), StringComparison.Ordinal);
        var watch = Stopwatch.StartNew();
        var heldReply = held.SendAsync(RawMessage.Text(), recipients: "b@example.org");
        await WaitUntilAsync(() => server.Transactions.Count == 2);

        var otherReply = await Timed(() => other.SendAsync(OtherMessage(), TestSmtp.OtherSender, "c@example.org"));
        Assert.False(heldReply.IsCompleted, "the held reply came back early");
        Assert.True(otherReply < TimeSpan.FromSeconds(1), $"the other connection waited {otherReply}");

        Assert.StartsWith("250", await heldReply, StringComparison.Ordinal);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(3) - Slack, TimeSpan.FromSeconds(6));

        // Judged on arrival: the held message was accepted before its reply went out.
        Assert.Equal(3, server.Messages.Count);
    }

    private static string OtherMessage() => RawMessage.Text().Replace(RawMessage.From, $"From: {TestSmtp.OtherSender}\r\n", StringComparison.Ordinal);

    private static async Task<TimeSpan> Timed(Func<Task<string>> action)
    {
        var watch = Stopwatch.StartNew();
        var reply = await action();
        Assert.False(string.IsNullOrEmpty(reply), "the connection closed");
        return watch.Elapsed;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "timed out");
            await Task.Delay(10, TestSmtp.Ct);
        }
    }
}
