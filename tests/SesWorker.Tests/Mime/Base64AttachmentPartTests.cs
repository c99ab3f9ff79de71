using System.Text;
using MimeKit;
using MimeKit.Utils;
using SesWorker.Core.Mime;

namespace SesWorker.Tests.Mime;

/// <summary>The attachment part writes, headers and all, exactly what MimeKit's own base64 MimePart writes.</summary>
public sealed class Base64AttachmentPartTests
{
    public static TheoryData<int> Lengths() =>
    [
        0, 1, 2, 3, 4, 56, 57, 58, 113, 114, 115, 171, 57 * 64 - 1, 57 * 64, 57 * 64 + 1, 4095, 4096, 4097, 8192, 100_000, 3_900_000,
    ];

    [Theory]
    [MemberData(nameof(Lengths))]
    public async Task Writes_what_a_base64_MimePart_writes(int length)
    {
        var file = new byte[length];
        new Random(length).NextBytes(file);

        foreach (var options in new[] { MimeComposer.WireFormat, Unix(MimeComposer.WireFormat) })
        {
            var expected = Write(Reference("application/pdf", "report.pdf", file), options);

            Assert.Equal(expected, Write(Part("application/pdf", "report.pdf", file), options));
            Assert.Equal(expected, await WriteAsync(Part("application/pdf", "report.pdf", file), options));
        }
    }

    [Theory]
    [InlineData("text/plain; charset=utf-8", "notes.txt")]
    [InlineData("application/octet-stream", "a name with spaces and (parentheses).bin")]
    [InlineData("image/png", "an-extremely-long-file-name-that-goes-on-and-on-past-the-line-length-of-seventy-eight-characters.png")]
    [InlineData("application/pdf", "Rechnung März.pdf")]
    [InlineData("application/pdf", "发票-2026.pdf")]
    public void Headers_are_MimeParts_for_any_name(string contentType, string fileName)
    {
        var file = Encoding.UTF8.GetBytes("hello, world");
        var expected = Reference(contentType, fileName, file);
        var actual = Part(contentType, fileName, file);
        if (!Ascii.IsValid(fileName))
        {
            // As the composer writes non-ASCII names: RFC 2047 encoded-words as the value.
            var encoded = Encoding.ASCII.GetString(Rfc2047.EncodeText(MimeComposer.WireFormat, Encoding.UTF8, fileName));
            foreach (var entity in new MimeEntity[] { expected, actual })
            {
                entity.ContentType.Parameters["name"] = encoded;
                entity.ContentDisposition!.Parameters["filename"] = encoded;
            }
        }

        Assert.Equal(Write(expected, MimeComposer.WireFormat), Write(actual, MimeComposer.WireFormat));
    }

    [Fact]
    public void A_message_with_parts_like_these_parses_back_to_the_file()
    {
        var file = new byte[10_000];
        new Random(7).NextBytes(file);
        var message = new MimeMessage { Body = new Multipart("mixed") { new TextPart("plain") { Text = "see attached" }, Part("application/pdf", "r.pdf", file) } };

        var parsed = MimeMessage.Load(new MemoryStream(Write(message, MimeComposer.WireFormat)));

        var attachment = Assert.IsType<MimePart>(Assert.Single(parsed.Attachments));
        using var decoded = new MemoryStream();
        attachment.Content!.DecodeTo(decoded);
        Assert.Equal(file, decoded.ToArray());
        Assert.Equal("r.pdf", attachment.FileName);
    }

    private static MimePart Reference(string contentType, string fileName, byte[] file) => new(ContentType.Parse(contentType))
    {
        Content = new MimeContent(new MemoryStream(file)),
        ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
        ContentTransferEncoding = ContentEncoding.Base64,
        FileName = fileName,
    };

    private static Base64AttachmentPart Part(string contentType, string fileName, byte[] file) => new(ContentType.Parse(contentType), fileName, new MemoryStream(file));

    private static FormatOptions Unix(FormatOptions options)
    {
        var unix = options.Clone();
        unix.NewLineFormat = NewLineFormat.Unix;
        return unix;
    }

    private static byte[] Write(MimeEntity entity, FormatOptions options)
    {
        // Inside a multipart, as the composer puts it: MimeKit adds no final newline to a part there.
        var mixed = new Multipart("mixed") { entity };
        mixed.Boundary = "b";
        using var stream = new MemoryStream();
        mixed.WriteTo(options, stream);
        return stream.ToArray();
    }

    private static byte[] Write(MimeMessage message, FormatOptions options)
    {
        using var stream = new MemoryStream();
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    private static async Task<byte[]> WriteAsync(MimeEntity entity, FormatOptions options)
    {
        var mixed = new Multipart("mixed") { entity };
        mixed.Boundary = "b";
        using var stream = new MemoryStream();
        await mixed.WriteToAsync(options, stream, TestContext.Current.CancellationToken);
        return stream.ToArray();
    }
}
