using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;
using SesWorker.Cli.Commands.History;
using SesWorker.Contracts.Reading;

namespace SesWorker.Cli.Commands;

/// <summary>`show ID`: one email and every attempt, by its GUID or by the producer's own key (with --app-id).</summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The email id (GUID), or the producer's key as published in emailId." };
        var appId = new Option<string?>("--app-id") { Description = "The appId a producer key was published with (part of the derived id)." };
        var json = new Option<bool>("--json") { Description = "The email and its attempts as JSON." };
        var command = new Command("show", "One email with all its attempts.") { id, appId, json };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(id)!;
            var app = parse.GetValue(appId);
            await using var dataSource = Connections.DataSource(context.Configuration);
            var row = await FindAsync(dataSource, given, app, cancellationToken);
            if (row is null)
            {
                await context.Output.WriteLineAsync(Guid.TryParse(given, out _) || app is not null
                    ? $"no email {given}"
                    : $"no email {given}; a producer key needs the --app-id it was published with");
                return 1;
            }

            var attempts = await AttemptsAsync(dataSource, row.EmailId, cancellationToken);
            if (parse.GetValue(json))
                await context.Output.WriteLineAsync(Json(row, attempts));
            else
                Print(context.Output, row, attempts);
            return 0;
        });
        return command;
    }

    private static async Task<HistoryRow?> FindAsync(NpgsqlDataSource dataSource, string given, string? appId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        if (Guid.TryParse(given, out var emailId))
        {
            command.CommandText = $"SELECT {HistoryRow.Columns} FROM email_history WHERE email_id = @id";
            command.Parameters.AddWithValue("id", emailId);
        }
        else
        {
            // The derived id hits the primary key; the id derived without an appId finds rows whose appId was unreadable.
            command.CommandText = $"SELECT {HistoryRow.Columns} FROM email_history WHERE email_id = @id OR email_id = @bare ORDER BY created_at DESC LIMIT 1";
            command.Parameters.AddWithValue("id", SendEmailReader.EmailIdFor(appId, given));
            command.Parameters.AddWithValue("bare", SendEmailReader.EmailIdFor(null, given));
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? HistoryRow.Read(reader) : null;
    }

    internal sealed record Attempt(int Number, string? WorkerId, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string Outcome, int? SmtpStatus,
        string? ProviderCode, string? ProviderMessage, string? RequestId);

    private static async Task<List<Attempt>> AttemptsAsync(NpgsqlDataSource dataSource, Guid emailId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT attempt_number, worker_id, started_at, ended_at, outcome, smtp_status, provider_code, provider_message, request_id
            FROM email_attempts WHERE email_id = @id ORDER BY attempt_number
            """);
        command.Parameters.AddWithValue("id", emailId);
        var attempts = new List<Attempt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(new Attempt(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return attempts;
    }

    private static void Print(TextWriter output, HistoryRow row, List<Attempt> attempts)
    {
        output.WriteLine($"email      {row.EmailId}{(row.ProducerKey is null ? "" : $"  (producer key {row.ProducerKey})")}");
        output.WriteLine($"appId      {row.AppId ?? "-"}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"status     {row.Status}  attempts {row.Attempts}{(row.DuplicateCopies > 0 ? $"  copies after it was done {row.DuplicateCopies}" : "")}"));
        output.WriteLine($"code       {row.FailureCode ?? "-"}");
        if (row.FailureMessage is not null)
            output.WriteLine($"message    {row.FailureMessage}");
        output.WriteLine($"from       {row.From ?? "-"}");
        output.WriteLine($"to         {(row.To.Count == 0 ? "-" : string.Join(", ", row.To))}");
        output.WriteLine($"subject    {row.Subject ?? "-"}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"message-id {row.MessageId ?? "-"}  size {row.SizeBytes?.ToString(CultureInfo.InvariantCulture) ?? "-"} bytes"));
        output.WriteLine($"smtp       {row.SmtpReply ?? "-"}  request-id {row.ProviderRequestId ?? "-"}");
        output.WriteLine($"created    {Time(row.CreatedAt)}  sent {Time(row.SentAt)}  completed {Time(row.CompletedAt)}");
        foreach (var a in attempts)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"attempt {a.Number}  {a.Outcome,-12} {a.SmtpStatus?.ToString(CultureInfo.InvariantCulture) ?? "-",3}  {a.ProviderCode ?? "-"}  {Time(a.StartedAt)} +{(a.EndedAt - a.StartedAt).TotalMilliseconds:F0} ms  by {a.WorkerId ?? "-"}  {a.RequestId}  {a.ProviderMessage}").TrimEnd());
        }
    }

    private static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "-";

    private static string Json(HistoryRow row, List<Attempt> attempts)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("email");
            HistoryJson.Write(writer, row);
            writer.WriteStartArray("attempts");
            foreach (var a in attempts)
            {
                writer.WriteStartObject();
                writer.WriteNumber("attempt", a.Number);
                writer.WriteString("outcome", a.Outcome);
                if (a.SmtpStatus is { } smtp)
                    writer.WriteNumber("smtpStatus", smtp);
                writer.WriteString("providerCode", a.ProviderCode);
                writer.WriteString("providerMessage", a.ProviderMessage);
                writer.WriteString("requestId", a.RequestId);
                writer.WriteString("workerId", a.WorkerId);
                writer.WriteString("startedAt", a.StartedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteString("endedAt", a.EndedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
