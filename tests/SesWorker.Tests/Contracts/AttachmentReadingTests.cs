using System.Runtime.InteropServices;
using System.Text;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;
using SesWorker.Core.Mime;

namespace SesWorker.Tests.Contracts;

/// <summary>An attachment is read as a slice of the body, not copied into a string, and composes to the same wire bytes.</summary>
public sealed class AttachmentReadingTests
{
    private static readonly byte[] File = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 31 % 256)).ToArray();

    private static byte[] Body(string content) => Encoding.UTF8.GetBytes(
        $$"""{"emailId":"0f8fad5b-d9cb-469f-a165-70867728950e","appId":"1000","from":"noreply@example.com","to":["a@example.org"],"subject":"s","text":"t","attachments":[{"fileName":"f.bin","content":"{{content}}"}]}""");

    [Fact]
    public void Unescaped_base64_is_a_slice_of_the_body()
    {
        var body = Body(Convert.ToBase64String(File));

        var attachment = Assert.Single(SendEmailReader.Read(body).Message!.Attachments!);

        Assert.True(attachment.IsEncoded);
        Assert.True(MemoryMarshal.TryGetArray(attachment.EncodedContent, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(Convert.ToBase64String(File), attachment.Content);
    }

    [Fact]
    public void Escaped_base64_as_System_Text_Json_writes_it_stays_in_the_body_and_reads_back_unescaped()
    {
        var escaped = Convert.ToBase64String(File).Replace("+", "\\u002B", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal);

        var body = Body(escaped);

        var attachment = Assert.Single(SendEmailReader.Read(body).Message!.Attachments!);

        Assert.True(attachment.IsEncoded);
        Assert.True(MemoryMarshal.TryGetArray(attachment.EncodedContent, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(Convert.ToBase64String(File), attachment.Content);
        Assert.True(JsonBase64.IsValid(attachment.EncodedContent.Span, out var decoded));
        Assert.Equal(File.Length, decoded);
    }

    [Fact]
    public void Read_and_given_attachments_compose_to_the_same_wire_bytes()
    {
        var read = SendEmailReader.Read(Body(Convert.ToBase64String(File))).Message!;
        var given = read with { Attachments = [new EmailAttachment { FileName = "f.bin", Content = Convert.ToBase64String(File) }] };
        var composer = new MimeComposer(TimeProvider.System);
        var date = DateTimeOffset.Parse("2026-11-27T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

        var fromBody = composer.Compose(read, date);
        var fromString = composer.Compose(given, date);

        Assert.Equal(fromString.Sha256, fromBody.Sha256);
        Assert.Equal(fromString.SizeBytes, fromBody.SizeBytes);
        Assert.Equal(fromString.BodyBytes, fromBody.BodyBytes);
        // Written twice (measured, then sent): the stream rewinds.
        Assert.Equal(fromBody.Sha256, composer.Compose(read, date).Sha256);
    }
}
