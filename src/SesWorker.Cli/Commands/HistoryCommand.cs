using System.CommandLine;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using SesWorker.Cli.Commands.History;
using SesWorker.Cli.Output;

namespace SesWorker.Cli.Commands;

/// <summary>
/// `history`: the newest emails first, filtered, one line each cut to the terminal's width, or every field with
/// --json. Pages by --page (offset): fine for the first pages a person reads; scripts narrow with --since/--until.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext context)
    {
        var appId = new Option<string?>("--app-id") { Description = "Only this appId." };
        var sender = new Option<string?>("--sender", "--from") { Description = "Only this From address." };
        var recipient = new Option<string?>("--recipient", "--to") { Description = "Only emails to this address (one of their recipients)." };
        var status = new Option<string?>("--status") { Description = "received, sending, retrying, deferred, sent, failed, dead_lettered or unknown." };
        var code = new Option<string?>("--code") { Description = "Only this failure code, e.g. FailedOperation.EmailAddrInBlacklist." };
        var since = new Option<string?>("--since") { Description = "Created at or after: 15m, 2h, 7d ago, or a date/time (UTC)." };
        var until = new Option<string?>("--until") { Description = "Created before: a duration ago or a date/time." };
        var limit = new Option<int>("--limit", "-n") { Description = "Rows per page.", DefaultValueFactory = _ => 50 };
        var page = new Option<int>("--page") { Description = "Page number, from 1.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Every field of every row as a JSON array, nothing cut." };
        var width = new Option<int?>("--width") { Description = "Columns to fit (default: the terminal's)." };
        var command = new Command("history", "The most recent emails and their outcomes.")
        {
            appId, sender, recipient, status, code, since, until, limit, page, json, width,
        };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var pageSize = parse.GetValue(limit);
            var pageNumber = parse.GetValue(page);
            if (pageSize is < 1 or > 10_000)
                throw new CliException("--limit must be between 1 and 10000");
            if (pageNumber < 1)
                throw new CliException("--page must be 1 or more");
            var now = context.Time.GetUtcNow();
            var filter = new HistoryFilter(parse.GetValue(appId), parse.GetValue(sender), parse.GetValue(recipient), parse.GetValue(status),
                parse.GetValue(code), TimeArgument.Parse(parse.GetValue(since), now, "--since"), TimeArgument.Parse(parse.GetValue(until), now, "--until"));

            await using var dataSource = Connections.DataSource(context.Configuration);
            var rows = await QueryAsync(dataSource, filter, pageSize, (pageNumber - 1) * pageSize, cancellationToken);
            if (parse.GetValue(json))
            {
                await context.Output.WriteLineAsync(HistoryJson.Write(rows));
                return 0;
            }

            Print(context, rows, context.Width(parse.GetValue(width)));
            var first = (pageNumber - 1) * pageSize + 1;
            context.Output.WriteLine(rows.Count == 0
                ? (pageNumber == 1 ? "no emails match" : $"no rows on page {pageNumber}")
                : rows.Count < pageSize
                    ? $"rows {first}-{first + rows.Count - 1} (last page)"
                    : $"rows {first}-{first + rows.Count - 1}; next page: --page {pageNumber + 1}");
            return 0;
        });
        return command;
    }

    internal sealed record HistoryFilter(string? AppId, string? Sender, string? Recipient, string? Status, string? Code, DateTimeOffset? Since, DateTimeOffset? Until);

    /// <summary>Only the filters given go into the SQL, so each query can use its index (a catch-all OR would not).</summary>
    internal static async Task<List<HistoryRow>> QueryAsync(NpgsqlDataSource dataSource, HistoryFilter filter, int limit, int offset, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var where = new List<string>();
        void Add(string condition, object value, NpgsqlDbType? type = null)
        {
            var name = $"p{command.Parameters.Count}";
            where.Add(condition.Replace("@p", "@" + name, StringComparison.Ordinal));
            command.Parameters.Add(type is { } t ? new NpgsqlParameter(name, t) { Value = value } : new NpgsqlParameter(name, value));
        }

        if (filter.AppId is { } appId)
            Add("app_id = @p", appId);
        if (filter.Sender is { } sender)
            Add("from_address = @p", sender);
        if (filter.Recipient is { } recipient)
            Add("to_addresses @> @p", new[] { recipient }, NpgsqlDbType.Array | NpgsqlDbType.Text);
        if (filter.Status is { } status)
            Add("status = @p", status);
        if (filter.Code is { } code)
            Add("failure_code = @p", code);
        if (filter.Since is { } since)
            Add("created_at >= @p", since);
        if (filter.Until is { } until)
            Add("created_at < @p", until);

        var sql = new StringBuilder($"SELECT {HistoryRow.Columns} FROM email_history");
        if (where.Count > 0)
            sql.Append(" WHERE ").AppendJoin(" AND ", where);
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY created_at DESC, email_id DESC LIMIT {limit} OFFSET {offset}");
        command.CommandText = sql.ToString();

        var rows = new List<HistoryRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(HistoryRow.Read(reader));
        return rows;
    }

    /// <summary>Fixed columns first; code, recipients and subject share what is left of the width.</summary>
    private static void Print(CliContext context, List<HistoryRow> rows, int width)
    {
        var appWidth = Math.Clamp(rows.Select(r => r.AppId?.Length ?? 1).DefaultIfEmpty(5).Max(), 5, 12);
        var fixedWidth = 19 + 1 + 36 + 1 + appWidth + 1 + 13 + 1 + 3 + 1;
        var rest = Math.Max(30, width - fixedWidth - 2);
        var codeWidth = Math.Min(Math.Max(4, rows.Select(r => r.FailureCode?.Length ?? 1).DefaultIfEmpty(4).Max()), Math.Max(8, rest * 2 / 5));
        var toWidth = Math.Min(Math.Max(2, rows.Select(r => r.Recipients.Length).DefaultIfEmpty(2).Max()), Math.Max(10, (rest - codeWidth) / 2));
        var subjectWidth = Math.Max(5, rest - codeWidth - toWidth);

        context.Output.WriteLine(Line("created (UTC)", "email id", "appId", "status", "att", "code", "to", "subject"));
        foreach (var row in rows)
        {
            context.Output.WriteLine(Line(row.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), row.EmailId.ToString(),
                row.AppId, row.Status, row.Attempts.ToString(CultureInfo.InvariantCulture), row.FailureCode, Recipients(row, toWidth), row.Subject));
        }

        // The count of further recipients matters more than the end of the first address: "long.addr… +50".
        static string Recipients(HistoryRow row, int width)
        {
            if (row.To.Count <= 1 || row.Recipients.Length <= width)
                return row.Recipients;
            var more = string.Create(CultureInfo.InvariantCulture, $" +{row.To.Count - 1}");
            return TextFit.Fit(row.To[0], Math.Max(1, width - more.Length)) + more;
        }

        string Line(string created, string id, string? app, string status, string attempts, string? code, string to, string? subject) =>
            string.Join(' ', TextFit.Fit(created, 19), TextFit.Fit(id, 36), TextFit.Fit(app, appWidth), TextFit.Fit(status, 13),
                TextFit.Fit(attempts, 3), TextFit.Fit(code, codeWidth), TextFit.Fit(to, toWidth), TextFit.Fit(subject, subjectWidth)).TrimEnd();
    }
}
