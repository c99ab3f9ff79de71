using System.Buffers.Text;
using System.Runtime.InteropServices;
using MimeKit.Encodings;

namespace SesWorker.Core.Mime;

/// <summary>
/// An attachment's file, decoded from base64 as it is read, a few kilobytes at a time, from the bytes the message body
/// holds: MimeKit reads it to write the part (encoding it again in 76-character lines), once to measure and once to
/// send, and no decoded copy of the whole file is made. Rewinds to the start; seeks nowhere else.
/// </summary>
public sealed class Base64ContentStream : Stream
{
    private const int InputChunk = 4096;

    private readonly ArraySegment<byte> _input;
    private readonly Base64Decoder _decoder = new();
    private readonly byte[] _decoded;
    private int _consumed;
    private int _decodedStart;
    private int _decodedEnd;
    private long _position;

    /// <param name="base64">ASCII base64, whitespace allowed, as the validator accepted it.</param>
    public Base64ContentStream(ReadOnlyMemory<byte> base64)
    {
        // The body is an array (RabbitMQ's delivery): no copy. Anything else is copied once.
        _input = MemoryMarshal.TryGetArray(base64, out var segment) ? segment : new ArraySegment<byte>(base64.ToArray());
        Length = Base64.IsValid(base64.Span, out var decodedLength) ? decodedLength : _decoder.EstimateOutputLength(base64.Length);
        _decoded = new byte[_decoder.EstimateOutputLength(InputChunk)];
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;

    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_decodedStart == _decodedEnd)
        {
            if (_consumed == _input.Count)
                return 0;
            var chunk = Math.Min(InputChunk, _input.Count - _consumed);
            _decodedEnd = _decoder.Decode(_input.Array!, _input.Offset + _consumed, chunk, _decoded);
            _decodedStart = 0;
            _consumed += chunk;
        }

        var n = Math.Min(buffer.Length, _decodedEnd - _decodedStart);
        _decoded.AsSpan(_decodedStart, n).CopyTo(buffer);
        _decodedStart += n;
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };
        if (target == _position)
            return _position;
        if (target != 0)
            throw new NotSupportedException("A base64 content stream rewinds to its start only.");
        _decoder.Reset();
        _consumed = 0;
        _decodedStart = _decodedEnd = 0;
        _position = 0;
        return 0;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
