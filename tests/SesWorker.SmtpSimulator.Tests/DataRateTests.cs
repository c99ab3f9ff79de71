using System.Diagnostics;
using System.Text;
using SesWorker.SmtpSimulator.Counting;
using SesWorker.SmtpSimulator.Hosting;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>
/// <see cref="SimulatorOptions.DataBytesPerSecond"/> paces the content as a thin link would. Lower bounds are what the
/// rate implies; upper bounds are loose because the machine is shared.
/// </summary>
public sealed class DataRateTests
{
    private const int ContentBytes = 500_000;

    // 500,000 bytes at 1,000,000 bytes/s is 0.5 s; the margin is for timer and clock granularity.
    private static readonly TimeSpan PacedAtLeast = TimeSpan.FromMilliseconds(450);

    private static readonly TimeSpan Unpaced = TimeSpan.FromMilliseconds(450);

    [Fact]
    public async Task Content_is_read_no_faster_than_the_data_rate_and_counted_after_its_last_byte()
    {
        await using var server = await TestSmtp.StartAsync(o => o.DataBytesPerSecond = 1_000_000);
        await using var raw = await RawSmtpClient.LoginAsync(server);
        await StartDataAsync(raw);

        var started = DateTimeOffset.UtcNow;
        var (reply, elapsed) = await SendContentAsync(raw);

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.InRange(elapsed, PacedAtLeast, TimeSpan.FromSeconds(10));
        var counted = Assert.Single(server.Counts.Times(TestSmtp.AppId, CountPoint.EndOfData));
        Assert.True(counted - started >= PacedAtLeast, $"the end of DATA was counted {counted - started} after the content started");
    }

    [Fact]
    public async Task A_rate_set_on_a_running_simulator_paces_the_next_transaction_and_0_reads_at_once()
    {
        var options = TestSmtp.Options();
        await using var server = await SmtpSimulatorServer.StartAsync(options, cancellationToken: TestSmtp.Ct);
        await using var raw = await RawSmtpClient.LoginAsync(server);

        await StartDataAsync(raw);
        var (unlimitedReply, unlimited) = await SendContentAsync(raw);

        options.DataBytesPerSecond = 1_000_000;
        await StartDataAsync(raw, "second@example.org");
        var (pacedReply, paced) = await SendContentAsync(raw);

        Assert.StartsWith("250", unlimitedReply, StringComparison.Ordinal);
        Assert.StartsWith("250", pacedReply, StringComparison.Ordinal);
        Assert.True(unlimited < Unpaced, $"unlimited content took {unlimited}");
        Assert.InRange(paced, PacedAtLeast, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Commands_are_not_paced()
    {
        await using var server = await TestSmtp.StartAsync(o => o.DataBytesPerSecond = 10);
        await using var raw = await RawSmtpClient.LoginAsync(server);

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            Assert.StartsWith("250", await raw.CommandAsync("NOOP"), StringComparison.Ordinal);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"20 NOOPs (100 bytes) took {watch.Elapsed} at 10 bytes/s");
    }

    [Fact]
    public void Command_line_sets_the_data_rate()
    {
        Assert.True(SimulatorCommandLine.TryParse(["--account", "1:a@b.c:pw", "--data-rate", "2000000"], out var commandLine, out var error), error);
        Assert.Equal(2_000_000, commandLine.Options.DataBytesPerSecond);

        Assert.True(SimulatorCommandLine.TryParse(["--account", "1:a@b.c:pw"], out commandLine, out error), error);
        Assert.Equal(0, commandLine.Options.DataBytesPerSecond);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("2MB")]
    public void Command_line_refuses_a_bad_data_rate(string value)
    {
        Assert.False(SimulatorCommandLine.TryParse(["--account", "1:a@b.c:pw", "--data-rate", value], out _, out var error));
        Assert.StartsWith("--data-rate", error, StringComparison.Ordinal);
    }

    private static async Task StartDataAsync(RawSmtpClient raw, string recipient = "user@example.org")
    {
        Assert.StartsWith("250", await raw.CommandAsync($"MAIL FROM:<{TestSmtp.Sender}>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await raw.CommandAsync($"RCPT TO:<{recipient}>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await raw.CommandAsync("DATA"), StringComparison.Ordinal);
    }

    /// <summary>Writes a message of <see cref="ContentBytes"/> (end marker included) and times it up to the end-of-DATA reply.</summary>
    private static async Task<(string Reply, TimeSpan Elapsed)> SendContentAsync(RawSmtpClient raw)
    {
        var message = RawMessage.Text(string.Empty);
        var filler = ContentBytes - Encoding.UTF8.GetByteCount(message);
        var line = new string('a', 998) + "\r\n";
        var body = string.Concat(Enumerable.Repeat(line, filler / line.Length)) + new string('b', filler % line.Length);
        var bytes = Encoding.UTF8.GetBytes(RawMessage.Text(body));
        Assert.Equal(ContentBytes, bytes.Length);

        var watch = Stopwatch.StartNew();
        await raw.WriteAsync(bytes);
        var reply = await raw.ReadReplyAsync();
        return (reply, watch.Elapsed);
    }
}
