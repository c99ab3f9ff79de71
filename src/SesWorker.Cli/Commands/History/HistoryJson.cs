using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SesWorker.Cli.Commands.History;

/// <summary>--json: every field, nothing cut, for scripts (jq) rather than eyes.</summary>
internal static class HistoryJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(IEnumerable<HistoryRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartArray();
            foreach (var row in rows)
                Write(writer, row);
            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Utf8JsonWriter writer, HistoryRow row)
    {
        writer.WriteStartObject();
        writer.WriteString("emailId", row.EmailId);
        writer.WriteString("producerKey", row.ProducerKey);
        writer.WriteString("appId", row.AppId);
        writer.WriteString("from", row.From);
        writer.WriteStartArray("to");
        foreach (var to in row.To)
            writer.WriteStringValue(to);
        writer.WriteEndArray();
        writer.WriteString("subject", row.Subject);
        writer.WriteString("status", row.Status);
        writer.WriteString("failureCode", row.FailureCode);
        writer.WriteString("failureMessage", row.FailureMessage);
        writer.WriteNumber("attempts", row.Attempts);
        writer.WriteNumber("duplicateCopies", row.DuplicateCopies);
        writer.WriteString("smtpReply", row.SmtpReply);
        writer.WriteString("providerRequestId", row.ProviderRequestId);
        writer.WriteString("messageId", row.MessageId);
        writer.WriteString("createdAt", row.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("sentAt", row.SentAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("completedAt", row.CompletedAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteString("lastOutcome", row.LastOutcome);
        writer.WriteEndObject();
    }
}
