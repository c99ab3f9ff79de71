using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SesWorker.Cli.Output;

namespace SesWorker.Cli.Commands;

/// <summary>
/// `purge --older-than 90d`: retention. Deletes terminal emails (sent, failed, dead_lettered) last updated before the
/// cutoff, with their attempts, in small batches of short transactions, so it can run while workers write: rows a
/// worker holds are skipped (SKIP LOCKED) and the terminal status is checked again under the row lock, so an email
/// that a redrive brought back to life in the meantime is kept. Never touches received/sending/retrying/deferred/unknown.
/// Also drops the recipient cap's rows idle for two days and older than the cutoff.
/// </summary>
internal static class PurgeCommand
{
    private const string BatchSql = """
        WITH doomed AS (
            SELECT email_id FROM email_messages
            WHERE status IN ('sent', 'failed', 'dead_lettered') AND updated_at < @cutoff
            LIMIT @batch
            FOR UPDATE SKIP LOCKED
        )
        DELETE FROM email_messages e USING doomed
        WHERE e.email_id = doomed.email_id AND e.status IN ('sent', 'failed', 'dead_lettered') AND e.updated_at < @cutoff
        """;

    public static Command Create(CliContext context)
    {
        var olderThan = new Option<string>("--older-than") { Description = "Age of the last update: 30d, 12h, 2w.", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Rows per transaction.", DefaultValueFactory = _ => 5000 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would go; delete nothing." };
        var yes = new Option<bool>("--yes") { Description = "Confirm: the rows are deleted for good." };
        var command = new Command("purge", "Delete terminal emails (and their attempts) older than a retention period.") { olderThan, batch, dryRun, yes };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var age = TimeArgument.Duration(parse.GetValue(olderThan)!, "--older-than");
            var batchSize = parse.GetValue(batch);
            if (batchSize is < 1 or > 100_000)
                throw new CliException("--batch-size must be between 1 and 100000");
            var cutoff = context.Time.GetUtcNow() - age;
            await using var dataSource = Connections.DataSource(context.Configuration);

            if (parse.GetValue(dryRun))
            {
                await using var count = dataSource.CreateCommand(
                    "SELECT count(*) FROM email_messages WHERE status IN ('sent', 'failed', 'dead_lettered') AND updated_at < @cutoff");
                count.Parameters.AddWithValue("cutoff", cutoff);
                var rows = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
                await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"dry run: would delete {rows} terminal emails last updated before {cutoff.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; nothing was changed"));
                return 0;
            }

            if (!parse.GetValue(yes))
                throw new CliException("purge deletes history for good: add --yes (or --dry-run to count)");

            long deleted = 0;
            var stopwatch = Stopwatch.StartNew();
            while (true)
            {
                await using var delete = dataSource.CreateCommand(BatchSql);
                delete.Parameters.AddWithValue("cutoff", cutoff);
                delete.Parameters.AddWithValue("batch", batchSize);
                var rows = await delete.ExecuteNonQueryAsync(cancellationToken);
                deleted += rows;
                if (rows < batchSize)
                    break;
                await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"... deleted {deleted}"));
            }

            // The recipient cap's rows (one per sender and recipient ever sent to) whose last send is past any window
            // (at most a day, plus its margin) and past the cutoff: nothing else removes them.
            await using var windows = dataSource.CreateCommand(
                "DELETE FROM recipient_windows WHERE last_sent_at < LEAST(@cutoff, now() - interval '2 days')");
            windows.Parameters.AddWithValue("cutoff", cutoff);
            var idleWindows = await windows.ExecuteNonQueryAsync(cancellationToken);

            await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"deleted {deleted} terminal emails last updated before {cutoff.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC in {stopwatch.Elapsed.TotalSeconds:F1}s, and {idleWindows} recipient-cap rows idle for 2 days"));
            return 0;
        });
        return command;
    }
}
