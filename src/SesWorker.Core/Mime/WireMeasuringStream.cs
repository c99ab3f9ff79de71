using System.Security.Cryptography;

namespace SesWorker.Core.Mime;

/// <summary>
/// A write-only sink that sees exactly the bytes MailKit will put on the wire: their count, the longest
/// line (the provider refuses 2000+ characters) and a SHA-256, in one pass and without buffering the message.
/// </summary>
internal sealed class WireMeasuringStream : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _currentLine;

    public long BytesWritten { get; private set; }

    public int LongestLine { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        BytesWritten += buffer.Length;
        var rest = buffer;
        while (true)
        {
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                _currentLine += rest.Length;
                break;
            }

            // Count characters before CRLF, as the provider's "line" does.
            var lineLength = _currentLine + newline;
            if (newline > 0 && rest[newline - 1] == '\r')
                lineLength--;
            else if (newline == 0 && _currentLine > 0)
                lineLength--;
            LongestLine = Math.Max(LongestLine, lineLength);
            _currentLine = 0;
            rest = rest[(newline + 1)..];
        }

        LongestLine = Math.Max(LongestLine, _currentLine);
    }

    public string HashHex() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _hash.Dispose();
        base.Dispose(disposing);
    }
}
