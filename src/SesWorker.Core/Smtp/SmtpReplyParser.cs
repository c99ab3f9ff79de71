using System.Text.Json;
using SesWorker.Core.Sending;

namespace SesWorker.Core.Smtp;

/// <summary>
/// Parses the provider's replies (as documented in SES SMTP error codes): business errors carry
/// <c>554 5.0.0 Error: transaction failed, blame it on the weather: ##SES-response-json: {"Response":{...}}</c>;
/// system errors are plain text. Unknown codes are kept verbatim.
/// </summary>
public static class SmtpReplyParser
{
    private const string JsonMarker = "##SES-response-json:";

    /// <summary>Parses a full reply line such as <c>554 5.0.0 Error: ...</c>.</summary>
    public static SmtpReply Parse(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var line = reply.Trim();
        var status = 0;
        if (line.Length >= 3 && int.TryParse(line.AsSpan(0, 3), out var parsed))
        {
            status = parsed;
            line = line.Length > 3 ? line[4..].TrimStart() : string.Empty;
        }

        return Parse(status, line);
    }

    /// <summary>Parses a reply whose status a client library already split off (MailKit's StatusCode + Message).</summary>
    public static SmtpReply Parse(int status, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        string? enhanced = null;
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var head = space < 0 ? text : text[..space];
        if (IsEnhancedCode(head))
        {
            enhanced = head;
            text = space < 0 ? string.Empty : text[(space + 1)..].TrimStart();
        }

        var marker = text.IndexOf(JsonMarker, StringComparison.Ordinal);
        if (marker < 0)
            return new SmtpReply(status, enhanced, text, PlainCode(text));

        var (code, message, requestId) = ReadJson(text[(marker + JsonMarker.Length)..]);
        return new SmtpReply(status, enhanced, text, code, message, requestId);
    }

    private static (string? Code, string? Message, string? RequestId) ReadJson(string json)
    {
        json = json.Trim();
        try
        {
            using var document = JsonDocument.Parse(json);
            if (!document.RootElement.TryGetProperty("Response", out var response))
                return (null, null, null);
            var requestId = response.TryGetProperty("RequestId", out var id) ? id.GetString() : null;
            if (response.TryGetProperty("QcloudError", out var qcloud) && qcloud.TryGetProperty("Error", out var error))
                return (String(error, "Code"), String(error, "Message"), requestId);
            if (response.TryGetProperty("Error", out var plainError))
                return (String(plainError, "Code"), String(plainError, "Message"), requestId);
            return (null, null, requestId);
        }
        catch (JsonException)
        {
            // The provider's own error-code page shows a truncated payload; fall back to reading the code as text.
            return SalvageCode(json);
        }
    }

    private static (string? Code, string? Message, string? RequestId) SalvageCode(string json)
    {
        string? Field(string name)
        {
            var key = $"\"{name}\":\"";
            var start = json.IndexOf(key, StringComparison.Ordinal);
            if (start < 0)
                return null;
            start += key.Length;
            var end = json.IndexOf('"', start);
            return end < 0 ? json[start..] : json[start..end];
        }

        var code = Field("Code");
        string? message = null;
        // A code run together with its message ("FailedOperation.X. The operation failed...") is split at the first ". ".
        if (code is not null)
        {
            var split = code.IndexOf(". ", StringComparison.Ordinal);
            if (split > 0)
            {
                message = code[(split + 2)..];
                code = code[..split];
            }
        }

        return (code, Field("Message") ?? message, Field("RequestId"));
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? PlainCode(string text) =>
        text.Contains("too longer line", StringComparison.OrdinalIgnoreCase) ? ErrorCodes.LineTooLong : null;

    private static bool IsEnhancedCode(string value)
    {
        var parts = value.Split('.');
        return parts.Length == 3 && parts[0] is "2" or "4" or "5"
            && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
    }
}
