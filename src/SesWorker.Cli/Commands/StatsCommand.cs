using System.CommandLine;
using System.Globalization;
using Npgsql;
using SesWorker.Cli.Output;

namespace SesWorker.Cli.Commands;

/// <summary>`stats`: per appId, emails by status and code over a window, and the send rate (sent_at in the window per second).</summary>
internal static class StatsCommand
{
    public static Command Create(CliContext context)
    {
        var since = new Option<string>("--since") { Description = "Start of the window: a duration ago (15m, 2h, 7d) or a date/time.", DefaultValueFactory = _ => "1h" };
        var until = new Option<string?>("--until") { Description = "End of the window (default: now)." };
        var appId = new Option<string?>("--app-id") { Description = "Only this appId." };
        var command = new Command("stats", "Counts per appId, status and code, and sends per second, over a window.") { since, until, appId };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var now = context.Time.GetUtcNow();
            var from = TimeArgument.Parse(parse.GetValue(since), now, "--since")!.Value;
            var to = TimeArgument.Parse(parse.GetValue(until), now, "--until") ?? now;
            if (to <= from)
                throw new CliException("--until must be later than --since");
            var seconds = (to - from).TotalSeconds;
            var app = parse.GetValue(appId);

            await using var dataSource = Connections.DataSource(context.Configuration);
            await using var command = dataSource.CreateCommand($"""
                SELECT app_id, status, failure_code, count(*)::bigint
                FROM email_messages
                WHERE created_at >= @from AND created_at < @to{(app is null ? "" : " AND app_id = @app")}
                GROUP BY app_id, status, failure_code
                ORDER BY app_id NULLS LAST, count(*) DESC, status, failure_code NULLS FIRST
                """);
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            if (app is not null)
                command.Parameters.AddWithValue("app", app);
            var groups = new List<(string App, string Status, string? Code, long Count)>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    groups.Add((reader.IsDBNull(0) ? "-" : reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3)));
            }

            var sends = await SendsAsync(dataSource, from, to, app, cancellationToken);
            var output = context.Output;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"window {from.UtcDateTime:yyyy-MM-dd HH:mm:ss} - {to.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({seconds:F0} s); emails by creation time, sends by sent time"));
            output.WriteLine($"{"appId",-12} {"emails",8} {"sent",8} {"sends/s",8}");
            foreach (var appGroup in groups.GroupBy(g => g.App))
            {
                var sent = sends.GetValueOrDefault(appGroup.Key);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{appGroup.Key,-12} {appGroup.Sum(g => g.Count),8} {sent,8} {sent / seconds,8:F2}"));
            }

            foreach (var (appKey, sent) in sends.Where(s => groups.All(g => g.App != s.Key)))
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{appKey,-12} {0,8} {sent,8} {sent / seconds,8:F2}"));

            output.WriteLine();
            output.WriteLine($"{"appId",-12} {"status",-13} {"emails",8}  code");
            foreach (var (appKey, status, code, count) in groups)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{appKey,-12} {status,-13} {count,8}  {code ?? "-"}"));
            if (groups.Count == 0)
                output.WriteLine("no emails in the window");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Sends whose sent_at falls in the window, among emails created up to a day before it: the bound keeps the query
    /// on the (status, created_at) index at ten million rows; a send more than a day after its creation is not counted.
    /// </summary>
    private static async Task<Dictionary<string, long>> SendsAsync(NpgsqlDataSource dataSource, DateTimeOffset from, DateTimeOffset to, string? app, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT coalesce(app_id, '-'), count(*)::bigint FROM email_messages
            WHERE status = 'sent' AND sent_at >= @from AND sent_at < @to AND created_at >= @from - interval '1 day'{(app is null ? "" : " AND app_id = @app")}
            GROUP BY 1
            """);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        if (app is not null)
            command.Parameters.AddWithValue("app", app);
        var sends = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            sends[reader.GetString(0)] = reader.GetInt64(1);
        return sends;
    }
}
