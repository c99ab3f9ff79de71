using System.Security.Cryptography;
using System.Text;
using MimeKit;
using SesWorker.Contracts;
using SesWorker.Core.Mime;

namespace SesWorker.Tests.Mime;

public sealed class MimeComposerTests
{
    private static readonly MimeComposer Composer = new(TimeProvider.System);

    private static SendEmail Command(string? text = "Hello", string? html = null, IReadOnlyList<EmailAttachment>? attachments = null, string? messageId = null) => new()
    {
        EmailId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        AppId = "1000",
        From = new EmailAddress { Address = "noreply@example.com", Name = "Zürich Desk" },
        To = [new EmailAddress { Address = "a@example.org" }, new EmailAddress { Address = "b@example.org", Name = "Bé" }],
        ReplyTo = new EmailAddress { Address = "support@example.com" },
        Subject = "Ihre Rechnung für März — 请查收",
        Text = text,
        Html = html,
        Attachments = attachments,
        MessageId = messageId,
    };

    private static byte[] WireBytes(ComposedEmail composed)
    {
        using var stream = new MemoryStream();
        composed.Message.WriteTo(MimeComposer.WireFormat, stream);
        return stream.ToArray();
    }

    private static (MimeMessage Parsed, string Wire) RoundTrip(ComposedEmail composed)
    {
        var bytes = WireBytes(composed);
        Assert.Equal(composed.SizeBytes, bytes.Length);
        return (MimeMessage.Load(new MemoryStream(bytes)), Encoding.ASCII.GetString(bytes));
    }

    private static SendEmail WithAttachment(byte[] content) => Command(html: "<p>Rechnung</p>", attachments:
        [new EmailAttachment { FileName = "Rechnung März.pdf", ContentType = "application/pdf", Content = Convert.ToBase64String(content) }]);

    [Fact]
    public void Text_only_is_a_single_utf8_text_plain_part_in_base64()
    {
        var (parsed, wire) = RoundTrip(Composer.Compose(Command()));

        var body = Assert.IsType<TextPart>(parsed.Body);
        Assert.Equal("text/plain", body.ContentType.MimeType);
        Assert.Equal("UTF-8", body.ContentType.Charset, ignoreCase: true);
        Assert.Equal(ContentEncoding.Base64, body.ContentTransferEncoding);
        Assert.Equal("Hello", body.Text);
        Assert.Contains("MIME-Version: 1.0\r\n", wire, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_and_html_become_multipart_alternative_with_text_first()
    {
        var (parsed, _) = RoundTrip(Composer.Compose(Command(html: "<p>Hällo</p>")));

        var alternative = Assert.IsType<MultipartAlternative>(parsed.Body);
        Assert.Collection(alternative,
            p => Assert.Equal("text/plain", p.ContentType.MimeType),
            p => Assert.Equal("text/html", p.ContentType.MimeType));
        Assert.Equal("<p>Hällo</p>", parsed.HtmlBody);
    }

    [Fact]
    public void Attachments_make_multipart_mixed_with_base64_attachment_parts_and_rfc2047_names()
    {
        var content = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var command = Command(html: "<p>x</p>", attachments:
        [
            new EmailAttachment { FileName = "Übersicht 2026.pdf", ContentType = "application/pdf", Content = Convert.ToBase64String(content) },
            new EmailAttachment { FileName = "data.bin", Content = Convert.ToBase64String([1, 2, 3]) },
        ]);

        var (parsed, wire) = RoundTrip(Composer.Compose(command));

        var mixed = Assert.IsType<Multipart>(parsed.Body);
        Assert.Equal("multipart/mixed", mixed.ContentType.MimeType);
        Assert.IsType<MultipartAlternative>(mixed[0]);
        var attachments = parsed.Attachments.OfType<MimePart>().ToList();
        Assert.Equal(2, attachments.Count);
        Assert.All(attachments, a =>
        {
            Assert.Equal(ContentEncoding.Base64, a.ContentTransferEncoding);
            Assert.Equal(ContentDisposition.Attachment, a.ContentDisposition?.Disposition);
        });
        Assert.Equal("Übersicht 2026.pdf", attachments[0].FileName);
        Assert.Equal("application/octet-stream", attachments[1].ContentType.MimeType);
        using var decoded = new MemoryStream();
        attachments[0].Content!.DecodeTo(decoded);
        Assert.Equal(content, decoded.ToArray());
        // RFC 2047 encoded-words, as the provider's samples send, not RFC 2231 (filename*=).
        Assert.Contains("filename=\"=?utf-8?", System.Text.RegularExpressions.Regex.Replace(wire, "\r\n[ \t]+", " "), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("filename*", wire, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_ascii_headers_are_encoded_and_survive_the_round_trip()
    {
        var (parsed, wire) = RoundTrip(Composer.Compose(Command()));

        Assert.Equal("Ihre Rechnung für März — 请查收", parsed.Subject);
        Assert.Equal("Zürich Desk", parsed.From.Mailboxes.Single().Name);
        Assert.Equal(["a@example.org", "b@example.org"], parsed.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("support@example.com", parsed.ReplyTo.Mailboxes.Single().Address);
        Assert.True(wire.All(c => c < 128), "the wire form is 7-bit ASCII");
    }

    [Fact]
    public void No_line_reaches_the_providers_limit_even_for_long_unbroken_content()
    {
        var longLine = new string('x', 50_000);
        var longSubject = string.Concat(Enumerable.Repeat("Überweisung ", 100));
        var command = Command(text: longLine, html: $"<p>{longLine}</p>") with { Subject = longSubject[..998] };

        var composed = Composer.Compose(command);
        var (_, wire) = RoundTrip(composed);

        var longest = wire.Split("\r\n").Max(l => l.Length);
        // RFC 5322 caps lines at 998; the provider refuses 2000+. Folding keeps real lines far below both.
        Assert.True(longest <= 100, $"longest line {longest}");
        Assert.Equal(longest, composed.LongestLine);
    }

    [Fact]
    public void Message_id_is_the_custom_one_when_given_and_generated_from_the_email_id_otherwise()
    {
        Assert.Equal("order-42@shop.example.com", Composer.Compose(Command(messageId: "order-42@shop.example.com")).Message.MessageId);
        Assert.Equal("0f8fad5bd9cb469fa16570867728950e@example.com", Composer.Compose(Command()).MessageId);
    }

    [Fact]
    public void The_same_message_composed_twice_measures_the_same_size_lines_and_hash_of_its_wire_bytes()
    {
        var content = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var date = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        var first = Composer.Compose(WithAttachment(content), date);
        var second = Composer.Compose(WithAttachment(content.ToArray()), date);

        Assert.Equal((first.SizeBytes, first.BodyBytes, first.LongestLine, first.Sha256), (second.SizeBytes, second.BodyBytes, second.LongestLine, second.Sha256));
        Assert.Equal(WireBytes(first), WireBytes(second));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(WireBytes(first))), first.Sha256);
    }

    [Fact]
    public void One_changed_byte_of_an_attachment_keeps_the_size_and_changes_the_hash()
    {
        var content = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();
        var changed = content.ToArray();
        changed[2500] ^= 1;
        var date = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        var original = Composer.Compose(WithAttachment(content), date);
        var altered = Composer.Compose(WithAttachment(changed), date);

        Assert.Equal(original.SizeBytes, altered.SizeBytes);
        Assert.NotEqual(original.Sha256, altered.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(WireBytes(altered))), altered.Sha256);
    }
}
