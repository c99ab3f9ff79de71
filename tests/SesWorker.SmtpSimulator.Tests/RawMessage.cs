using System.Text;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>Hand-written MIME, for messages a MIME library would refuse to produce.</summary>
internal static class RawMessage
{
    public const string From = "From: noreply@mail.example.com\r\n";
    public const string To = "To: user@example.org\r\n";
    public const string Subject = "Subject: test\r\n";
    public const string MimeVersion = "MIME-Version: 1.0\r\n";
    public const string TextType = "Content-Type: text/plain; charset=UTF-8\r\n";
    public const string Headers = From + To + Subject + MimeVersion;
    public const string Boundary = "b-1";

    /// <summary>Headers, a blank line, the body and the end-of-data marker.</summary>
    public static string Of(string headers, string body) => headers + "\r\n" + body + "\r\n.\r\n";

    public static string Text(string body = "hello") => Of(Headers + TextType, body);

    public static string Mixed(params string[] parts) =>
        Of(
            Headers + $"Content-Type: multipart/mixed; boundary=\"{Boundary}\"\r\n",
            string.Concat(parts.Select(p => $"--{Boundary}\r\n{p}\r\n")) + $"--{Boundary}--");

    public static string TextPart(string text = "hello") => TextType + "\r\n" + text;

    public static string Attachment(int bytes, string name = "a.bin", string encoding = "base64", string? content = null) =>
        "Content-Type: application/octet-stream; name=\"" + name + "\"\r\n" +
        $"Content-Transfer-Encoding: {encoding}\r\n" +
        $"Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n" +
        (content ?? Base64Lines(new byte[bytes]));

    public static string Base64Lines(byte[] bytes)
    {
        var text = Convert.ToBase64String(bytes);
        var builder = new StringBuilder(text.Length + (text.Length / 76 * 2));
        for (var i = 0; i < text.Length; i += 76)
        {
            builder.Append(text, i, Math.Min(76, text.Length - i)).Append("\r\n");
        }

        return builder.ToString().TrimEnd();
    }
}
