using System.Text.Json;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// A scalar as found in the body, from a parsed document or from a reader stopped at a break: its JSON kind
/// (Undefined when absent) and its text (null when it is not valid UTF-8 or not a scalar).
/// </summary>
internal readonly record struct EmailIdToken(JsonValueKind Kind, string? Text)
{
    public static EmailIdToken Of(JsonElement? element)
    {
        if (element is not { } e)
            return default;
        try
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => new(e.ValueKind, e.GetString()),
                JsonValueKind.Number => new(e.ValueKind, e.GetRawText()),
                _ => new(e.ValueKind, null),
            };
        }
        catch (InvalidOperationException)
        {
            return new(e.ValueKind, null);
        }
    }

    public static EmailIdToken Of(ref Utf8JsonReader reader)
    {
        var kind = reader.TokenType switch
        {
            JsonTokenType.String => JsonValueKind.String,
            JsonTokenType.Number => JsonValueKind.Number,
            JsonTokenType.StartObject => JsonValueKind.Object,
            JsonTokenType.StartArray => JsonValueKind.Array,
            JsonTokenType.True => JsonValueKind.True,
            JsonTokenType.False => JsonValueKind.False,
            JsonTokenType.Null => JsonValueKind.Null,
            _ => JsonValueKind.Undefined,
        };
        try
        {
            return kind switch
            {
                JsonValueKind.String => new(kind, reader.GetString()),
                // Readers here run over one span, so a number is always in ValueSpan.
                JsonValueKind.Number => new(kind, System.Text.Encoding.UTF8.GetString(reader.ValueSpan)),
                _ => new(kind, null),
            };
        }
        catch (InvalidOperationException)
        {
            return new(kind, null);
        }
    }
}
