using MimeKit;

namespace SesWorker.Worker.Smtp;

/// <summary>A MIME part's content whose first write waits at the <see cref="ContentGate"/>; otherwise the content itself.</summary>
public sealed class GatedContent(IMimeContent inner, ContentGate gate) : IMimeContent
{
    public ContentEncoding Encoding => inner.Encoding;

    public NewLineFormat? NewLineFormat => inner.NewLineFormat;

    public Stream Stream => inner.Stream!;

    public Stream Open() => inner.Open();

    public void DecodeTo(Stream stream, CancellationToken cancellationToken = default)
    {
        gate.PassAsync(cancellationToken).GetAwaiter().GetResult();
        inner.DecodeTo(stream, cancellationToken);
    }

    public async Task DecodeToAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync(cancellationToken);
        await inner.DecodeToAsync(stream, cancellationToken);
    }

    public void WriteTo(Stream stream, CancellationToken cancellationToken = default)
    {
        gate.PassAsync(cancellationToken).GetAwaiter().GetResult();
        inner.WriteTo(stream, cancellationToken);
    }

    public async Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        await gate.PassAsync(cancellationToken);
        await inner.WriteToAsync(stream, cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}
