using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>`dlq show`: properties, every header, and the body as indented JSON (long strings such as attachments cut short).</summary>
internal static class DeadLetterPrinter
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Print(DeadLetterMessage message, int maxString, TextWriter output)
    {
        var properties = message.Properties;
        output.WriteLine($"== {message.Queue.Name}  email id {message.EmailId ?? "-"}");
        output.WriteLine($"  exchange {Or(message.Exchange)}  routing key {Or(message.RoutingKey)}  redelivered {(message.Redelivered ? "yes" : "no")}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  content-type {Or(properties.ContentType)}  message-id {Or(properties.MessageId)}  correlation-id {Or(properties.CorrelationId)}  delivery-mode {properties.DeliveryMode}  {message.Body.Length} bytes"));
        output.WriteLine("  headers:");
        foreach (var (name, value) in message.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
            output.WriteLine($"    {name}: {HeaderValues.Format(value)}");
        output.WriteLine("  body:");
        output.WriteLine(Indent(Body(message, maxString)));
    }

    private static string Body(DeadLetterMessage message, int maxString)
    {
        try
        {
            using var document = JsonDocument.Parse(message.Body);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, Indented))
                Write(document.RootElement, writer, maxString);
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return message.BodyPreview(maxString == int.MaxValue ? int.MaxValue : 4000);
        }
    }

    private static void Write(JsonElement element, Utf8JsonWriter writer, int maxString)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    Write(property.Value, writer, maxString);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                    Write(item, writer, maxString);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String when element.GetString() is { } text && text.Length > maxString:
                writer.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"{text[..maxString]}... ({text.Length} characters; --full shows all)"));
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static string Or(string? value) => string.IsNullOrEmpty(value) ? "-" : value;

    private static string Indent(string text) => "    " + text.ReplaceLineEndings("\n    ");
}
