namespace SesWorker.Contracts;

public sealed record EmailAttachment
{
    public required string FileName { get; init; }

    /// <summary>Defaults to application/octet-stream, as the provider recommends.</summary>
    public string? ContentType { get; init; }

    /// <summary>The file's bytes, base64-encoded.</summary>
    public required string Content { get; init; }
}
