namespace SesWorker.Worker.Smtp;

/// <summary>
/// A connection's bytes on their way to the socket, below TLS: the last place a send can look at the clock before the
/// provider sees its bytes. A check made earlier (before MailKit formats the command, encrypts it and writes it) can be
/// followed by a preemption of the thread, and on a busy machine that put MAIL FROMs checked 55 ms apart on the wire
/// 2 ms apart. <see cref="BeforeNextWrite"/> runs a check once, immediately before the next write reaches the socket,
/// and another once the write has reached it. It also bounds each asynchronous read and write by the command timeout:
/// MailKit's <c>Timeout</c> only sets the stream's timeouts, which a socket's <see cref="System.Net.Sockets.NetworkStream"/>
/// applies to synchronous calls alone, so a provider that stopped answering held an asynchronous send for ever.
/// </summary>
public sealed class PacingStream(Stream inner, TimeSpan commandTimeout) : Stream
{
    private Checks? _nextWrite;

    /// <summary>
    /// Runs <paramref name="check"/> before the next write (and only that one) goes to the socket; it may wait. Then,
    /// once that write is in the socket, <paramref name="afterWrite"/>: the thread can be preempted between the check and
    /// the system call too, and only a look at the clock afterwards sees it. Null clears checks that were not used. TLS
    /// writes nothing of its own on an idle, established connection, so the next write is the application's: the
    /// transaction's MAIL FROM, or the content after the go-ahead.
    /// </summary>
    public void BeforeNextWrite(Func<CancellationToken, Task>? check, Func<CancellationToken, Task>? afterWrite = null) =>
        Volatile.Write(ref _nextWrite, check is null ? null : new Checks(check, afterWrite));

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanTimeout => inner.CanTimeout;

    public override int ReadTimeout { get => inner.ReadTimeout; set => inner.ReadTimeout = value; }

    public override int WriteTimeout { get => inner.WriteTimeout; set => inner.WriteTimeout = value; }

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var timeout = Within(cancellationToken);
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut("answer");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var checks = Interlocked.Exchange(ref _nextWrite, null);
        checks?.Before(CancellationToken.None).GetAwaiter().GetResult();
        inner.Write(buffer);
        checks?.After?.Invoke(CancellationToken.None).GetAwaiter().GetResult();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _nextWrite) is null ? TimedWriteAsync(buffer, cancellationToken) : CheckedWriteAsync(buffer, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private async ValueTask CheckedWriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        var checks = Interlocked.Exchange(ref _nextWrite, null);
        if (checks is not null)
            await checks.Before(cancellationToken);
        await TimedWriteAsync(buffer, cancellationToken);
        if (checks?.After is { } after)
            await after(cancellationToken);
    }

    // The wait for a check (a slot) is not the provider's: only the write itself is bounded.
    private async ValueTask TimedWriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        using var timeout = Within(cancellationToken);
        try
        {
            await inner.WriteAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut("take a write");
        }
    }

    private CancellationTokenSource Within(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(commandTimeout);
        return timeout;
    }

    private TimeoutException TimedOut(string what) =>
        new($"The provider did not {what} within the command timeout ({commandTimeout.TotalSeconds:0.###} s).");

    private sealed record Checks(Func<CancellationToken, Task> Before, Func<CancellationToken, Task>? After);
}
