using SesWorker.Worker.Smtp;

namespace SesWorker.Tests.Smtp;

public sealed class PacingStreamTests
{
    [Fact]
    public async Task The_checks_run_once_around_the_next_write_only()
    {
        var socket = new MemoryStream();
        var stream = new PacingStream(socket);
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
        var stream = new PacingStream(socket);
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
        var stream = new PacingStream(socket);
        var ran = false;
        stream.BeforeNextWrite(_ => { ran = true; return Task.CompletedTask; }, _ => { ran = true; return Task.CompletedTask; });
        stream.BeforeNextWrite(null);

        await stream.WriteAsync("QUIT\r\n"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.False(ran);
    }
}
