using SesWorker.SmtpSimulator.Hosting;
using SesWorker.SmtpSimulator.Latency;

namespace SesWorker.SmtpSimulator.Tests;

public sealed class ReplyLatencyTests
{
    [Theory]
    [InlineData("0", 0, 0, 0, 0)]
    [InlineData("100ms", 100, 0, 0, 0)]
    [InlineData("100ms±30ms", 100, 30, 0, 0)]
    [InlineData("0.3s+-100ms", 300, 100, 0, 0)]
    [InlineData("1%@2s", 0, 0, 0.01, 2000)]
    [InlineData("100ms±30ms, 0.5%@2.5s", 100, 30, 0.005, 2500)]
    public void Spec_is_parsed(string text, double baseMs, double jitterMs, double tailFraction, double tailMs)
    {
        var latency = ReplyLatency.Parse(text);

        Assert.Equal(TimeSpan.FromMilliseconds(baseMs), latency.Base);
        Assert.Equal(TimeSpan.FromMilliseconds(jitterMs), latency.Jitter);
        Assert.Equal(tailFraction, latency.TailFraction, 9);
        Assert.Equal(TimeSpan.FromMilliseconds(tailMs), latency.TailDelay);
        Assert.Equal(latency, ReplyLatency.Parse(latency.ToString()));
    }

    [Theory]
    [InlineData("100")]
    [InlineData("fast")]
    [InlineData("-5ms")]
    [InlineData("100ms,200ms")]
    [InlineData("1@2s")]
    [InlineData("101%@2s")]
    [InlineData("1%@2s,1%@3s")]
    public void Bad_spec_is_refused(string text) => Assert.Throws<FormatException>(() => ReplyLatency.Parse(text));

    [Fact]
    public void Samples_stay_within_the_jitter_and_the_tail_takes_its_share()
    {
        var random = new Random(7);
        var uniform = ReplyLatency.Parse("100ms±30ms");
        var samples = Enumerable.Range(0, 10_000).Select(_ => uniform.Sample(random).TotalMilliseconds).ToArray();
        Assert.InRange(samples.Min(), 70, 72);
        Assert.InRange(samples.Max(), 128, 130);
        Assert.InRange(samples.Average(), 99, 101);

        var tail = ReplyLatency.Parse("10ms,5%@2s");
        var slow = Enumerable.Range(0, 10_000).Count(_ => tail.Sample(random) == TimeSpan.FromSeconds(2));
        Assert.InRange(slow, 400, 600);
    }

    [Fact]
    public void Command_line_sets_a_default_per_reply_latencies_and_a_hold()
    {
        Assert.True(SimulatorCommandLine.TryParse(
            ["--account", "1:a@b.c:pw", "--latency", "100ms±30ms", "--latency", "end-of-data=300ms±100ms,1%@2s", "--latency", "greeting=0",
             "--hold-end-of-data", "50@30s", "--latency-seed", "3"],
            out var commandLine,
            out var error), error);

        var latency = commandLine.Options.Latency;
        Assert.Equal(ReplyLatency.Uniform(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(30)), latency.For(SmtpReply.MailFrom));
        Assert.Equal(ReplyLatency.Parse("300ms±100ms,1%@2s"), latency.For(SmtpReply.EndOfData));
        Assert.True(latency.For(SmtpReply.Greeting).IsZero);
        Assert.Equal((50, TimeSpan.FromSeconds(30), 3), (latency.HoldEveryNthEndOfData, latency.HoldFor, latency.Seed));
    }

    [Theory]
    [InlineData("--latency", "helo=10ms")]
    [InlineData("--latency", "10")]
    [InlineData("--hold-end-of-data", "30s")]
    [InlineData("--hold-end-of-data", "0@30s")]
    public void Command_line_refuses_bad_latency_options(string name, string value)
    {
        Assert.False(SimulatorCommandLine.TryParse(["--account", "1:a@b.c:pw", name, value], out _, out var error));
        Assert.StartsWith(name, error, StringComparison.Ordinal);
    }
}
