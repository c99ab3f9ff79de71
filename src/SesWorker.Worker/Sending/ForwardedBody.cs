using System.Net.Mime;
using MassTransit;

namespace SesWorker.Worker.Sending;

/// <summary>
/// Sends a received body on unchanged: the intake moves a message to its lane as the producer wrote it, instead of a SendEmail read into strings and serialized again (two more copies of every attachment). The lane reads
/// it with the same reader as the intake.
/// </summary>
internal sealed class ForwardedBody(ReadOnlyMemory<byte> body) : IMessageSerializer, MessageBody
{
    public static readonly ContentType Json = new("application/json");

    public ContentType ContentType => Json;

    public long? Length => body.Length;

    public MessageBody GetMessageBody<T>(SendContext<T> context) where T : class => this;

    public Stream GetStream() => new MemoryStream(GetBytes(), writable: false);

    /// <summary>The transport publishes from an array: the body's own when it is one whole, else a copy made here.</summary>
    public byte[] GetBytes() =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    public string GetString() => System.Text.Encoding.UTF8.GetString(body.Span);
}
