using System.Diagnostics;
using System.IO.Pipelines;
using SesWorker.Worker.Smtp;

namespace SesWorker.Tests.Smtp;

public sealed class PacingStreamTests
{
    [Fact]
    public async Task The_checks_run_once_around_the_next_write_only()
    {
        var socket = new MemoryStream();
        var stream = new PacingStream(socket, TimeSpan.FromSeconds(60));
        var seen = new List<string>();
        stream.BeforeNextWrite(
            _ => { seen.Add($"before, {socket.Length} bytes in the socket"); return Task.CompletedTask; },
            _ => { seen.Add($"after, {socket.Length} bytes in the socket"); return Task.CompletedTask; });

        await stream.WriteAsync("MAIL FROM:<a@example.com>\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        await stream.WriteAsync("RCPT TO:<b@example.com>\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.Equal(["before, 0 bytes in the socket", "after, 27 bytes in the socket"], seen);
        Assert.Equal(52, socket.Length);
    }

    [Fact]
    public void The_synchronous_write_runs_them_too()
    {
        var socket = new MemoryStream();
        var stream = new PacingStream(socket, TimeSpan.FromSeconds(60));
        var seen = new List<long>();
        stream.BeforeNextWrite(_ => { seen.Add(socket.Length); return Task.CompletedTask; }, _ => { seen.Add(socket.Length); return Task.CompletedTask; });

        stream.Write("DATA\r\n"u8);
        stream.Write("DATA\r\n"u8);

        Assert.Equal([0L, 6L], seen);
    }

    [Fact]
    public async Task A_cleared_check_does_not_run()
    {
        var socket = new MemoryStream();
        var stream = new PacingStream(socket, TimeSpan.FromSeconds(60));
        var ran = false;
        stream.BeforeNextWrite(_ => { ran = true; return Task.CompletedTask; }, _ => { ran = true; return Task.CompletedTask; });
        stream.BeforeNextWrite(null);

        await stream.WriteAsync("QUIT\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.False(ran);
    }

    [Fact]
    public async Task A_read_the_provider_does_not_answer_ends_at_the_command_timeout()
    {
        var silent = new Pipe();
        var stream = new PacingStream(silent.Reader.AsStream(), TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();

        var timedOut = await Assert.ThrowsAsync<TimeoutException>(async () => await stream.ReadExactlyAsync(new byte[64], TestContext.Current.CancellationToken));

        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
        Assert.Contains("command timeout", timedOut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_that_is_answered_in_time_returns_its_bytes()
    {
        var wire = new Pipe();
        var stream = new PacingStream(wire.Reader.AsStream(), TimeSpan.FromSeconds(5));
        var read = stream.ReadAsync(new byte[64], TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        await wire.Writer.WriteAsync("250 OK\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.Equal(8, await read);
    }

    [Fact]
    public async Task The_callers_cancellation_stays_a_cancellation()
    {
        var silent = new Pipe();
        var stream = new PacingStream(silent.Reader.AsStream(), TimeSpan.FromSeconds(30));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await stream.ReadExactlyAsync(new byte[64], stop.Token));
    }

    [Fact]
    public async Task A_check_that_waits_longer_than_the_command_timeout_is_not_the_providers_delay()
    {
        var socket = new MemoryStream();
        var stream = new PacingStream(socket, TimeSpan.FromMilliseconds(100));
        stream.BeforeNextWrite(token => Task.Delay(300, token));

        await stream.WriteAsync("MAIL FROM:<a@example.com>\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.Equal(27, socket.Length);
    }
}
