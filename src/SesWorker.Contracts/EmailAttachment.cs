using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace SesWorker.Contracts;

public sealed record EmailAttachment
{
    private readonly string? _content;

    public EmailAttachment()
    {
    }

    /// <summary>
    /// An attachment whose base64 stays in the bytes it was read from (the worker's reader points into the message
    /// body): a 4 MB file is not copied into an 11 MB string to be decoded from there.
    /// </summary>
    [SetsRequiredMembers]
#pragma warning disable CS8618 // Content is made from EncodedContent when read; it has no field to set here.
    public EmailAttachment(string fileName, string? contentType, ReadOnlyMemory<byte> encodedContent)
    {
        FileName = fileName;
        ContentType = contentType;
        EncodedContent = encodedContent;
    }
#pragma warning restore CS8618

    public required string FileName { get; init; }

    /// <summary>Defaults to application/octet-stream, as the provider recommends.</summary>
    public string? ContentType { get; init; }

    /// <summary>The file's bytes, base64-encoded. For an attachment read into <see cref="EncodedContent"/>, made on each read (only when it is serialized again).</summary>
    public required string Content
    {
        get => _content ?? Unescaped(EncodedContent.Span);
        init => _content = value;
    }

    /// <summary>
    /// The base64 as the JSON string in the message body holds it (ASCII, possibly with JSON escapes such as \u002B) when
    /// the attachment was read from a body; empty when <see cref="Content"/> was given.
    /// </summary>
    [JsonIgnore]
    public ReadOnlyMemory<byte> EncodedContent { get; }

    private static string Unescaped(ReadOnlySpan<byte> json)
    {
        var quoted = new byte[json.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        json.CopyTo(quoted.AsSpan(1));
        var reader = new System.Text.Json.Utf8JsonReader(quoted);
        reader.Read();
        return reader.GetString() ?? string.Empty;
    }

    /// <summary>Whether the base64 is held as bytes (<see cref="EncodedContent"/>) rather than as a string.</summary>
    [JsonIgnore]
    public bool IsEncoded => _content is null;
}
