using SesWorker.Contracts;

namespace SesWorker.Client;

/// <summary>Attachments from files or streams, base64-encoded as the contract carries them.</summary>
public static class Attachments
{
    public static async Task<EmailAttachment> FromFileAsync(string path, string? contentType = null, CancellationToken cancellationToken = default)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        return new EmailAttachment { FileName = Path.GetFileName(path), ContentType = contentType, Content = Convert.ToBase64String(bytes) };
    }

    public static async Task<EmailAttachment> FromStreamAsync(Stream stream, string fileName, string? contentType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return new EmailAttachment
        {
            FileName = fileName,
            ContentType = contentType,
            Content = Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length),
        };
    }
}
