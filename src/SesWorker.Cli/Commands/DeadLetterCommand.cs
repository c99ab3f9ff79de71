using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client.Exceptions;
using SesWorker.Cli.Commands.DeadLetters;

namespace SesWorker.Cli.Commands;

/// <summary>
/// Inspect, redrive and purge dead-lettered messages. Every verb browses (basic.get without auto-ack) and
/// acknowledges only what it removed, so an interrupted run leaves every other message where it was.
/// </summary>
internal static class DeadLetterCommand
{
    public const string Usage = """
        usage: sesworker dlq list    [--queue Q] [filters] [--limit N]
               sesworker dlq show    EMAIL_ID [--queue Q] [--full]
               sesworker dlq redrive [--queue Q] [filters] [--limit N] (--all | a filter) [--dry-run]
               sesworker dlq purge   [--queue Q] [filters] [--limit N] (--all | a filter) --yes
          Q: oversize, rate-limited, parked, error or all (default); several with commas
          filters: --code CODE  --app-id ID  --since-minutes N (last failure)  --email-id ID (repeatable)
        """;

    private const int ProgressEvery = 100;

    public static async Task<int> RunAsync(IConfiguration configuration, CliArguments args, CancellationToken cancellationToken, TextWriter? output = null)
    {
        output ??= Console.Out;
        var verb = args.Positional.Count > 0 ? args.Positional[0] : throw new CliException(Usage);
        var queues = DeadLetterQueues.FromConfiguration(configuration);
        var selected = queues.Select(args.Get("queue"));
        var filter = DeadLetterFilter.Parse(args, DateTimeOffset.UtcNow);
        var limit = args.GetInt("limit", verb == "list" ? 100 : int.MaxValue);
        if (limit <= 0)
            throw new CliException("--limit must be a positive number");

        switch (verb)
        {
            case "list" or "show":
                break;
            case "redrive" or "purge" when filter.IsEmpty && !Flag(args, "all"):
                throw new CliException($"dlq {verb} needs a filter (--email-id, --code, --app-id, --since-minutes) or --all");
            case "purge" when !Flag(args, "yes"):
                throw new CliException("dlq purge deletes messages for good: add --yes");
            case "redrive" or "purge":
                break;
            default:
                throw new CliException($"unknown dlq command '{verb}'\n{Usage}");
        }

        await using var broker = await DeadLetterBroker.ConnectAsync(configuration, cancellationToken);
        return verb switch
        {
            "list" => await ListAsync(broker, selected, filter, limit, output, cancellationToken),
            "show" => await ShowAsync(broker, selected, args, output, cancellationToken),
            "redrive" => await RedriveAsync(broker, selected, filter, limit, queues.MainExchange, Flag(args, "dry-run"), output, cancellationToken),
            _ => await PurgeAsync(broker, selected, filter, limit, output, cancellationToken),
        };
    }

    private static async Task<int> ListAsync(DeadLetterBroker broker, IReadOnlyList<DeadLetterQueue> queues, DeadLetterFilter filter, int limit,
        TextWriter output, CancellationToken cancellationToken)
    {
        output.WriteLine($"{"queue",-12} {"email id",-36} {"appId",-10} {"code",-38} {"att",3} {"cyc",3} {"first failure (UTC)",-19} {"last failure (UTC)",-19} subject");
        int listed = 0, examined = 0;
        foreach (var queue in queues)
        {
            await foreach (var message in BrowseAsync(broker, queue, output, cancellationToken))
            {
                examined++;
                if (!filter.Matches(message))
                    continue;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{message.Queue.Alias,-12} {message.EmailId ?? "-",-36} {message.AppId ?? "-",-10} {message.Code ?? "-",-38} {Number(message.Attempts),3} {Number(message.Cycles),3} {Time(message.FirstFailure),-19} {Time(message.LastFailure),-19} {Truncate(message.Subject, 50)}"));
                if (++listed >= limit)
                    break;
            }

            if (listed >= limit)
            {
                output.WriteLine($"(stopped at --limit {limit})");
                break;
            }
        }

        output.WriteLine($"listed {listed} of {examined} examined; nothing was removed");
        return 0;
    }

    private static async Task<int> ShowAsync(DeadLetterBroker broker, IReadOnlyList<DeadLetterQueue> queues, CliArguments args, TextWriter output,
        CancellationToken cancellationToken)
    {
        if (args.Positional.Count < 2)
            throw new CliException("usage: sesworker dlq show EMAIL_ID [--queue Q] [--full]");
        var emailId = DeadLetterMessage.NormalizeEmailId(args.Positional[1]);
        var maxString = Flag(args, "full") ? int.MaxValue : 200;
        var found = 0;
        foreach (var queue in queues)
        {
            await foreach (var message in BrowseAsync(broker, queue, output, cancellationToken))
            {
                if (!string.Equals(message.EmailId, emailId, StringComparison.OrdinalIgnoreCase))
                    continue;
                found++;
                DeadLetterPrinter.Print(message, maxString, output);
            }
        }

        if (found == 0)
        {
            output.WriteLine($"no dead-lettered message with email id {emailId}");
            return 1;
        }

        return 0;
    }

    private static async Task<int> RedriveAsync(DeadLetterBroker broker, IReadOnlyList<DeadLetterQueue> queues, DeadLetterFilter filter, int limit,
        string exchange, bool dryRun, TextWriter output, CancellationToken cancellationToken)
    {
        int redriven = 0, skipped = 0, failed = 0, examined = 0;
        foreach (var queue in queues)
        {
            await foreach (var message in BrowseAsync(broker, queue, output, cancellationToken))
            {
                if (++examined % ProgressEvery == 0)
                    output.WriteLine($"... {examined} examined: redriven {redriven}, skipped {skipped}, failed {failed}");
                if (!filter.Matches(message))
                {
                    skipped++;
                    continue;
                }

                if (dryRun)
                {
                    output.WriteLine($"would redrive {queue.Alias} {message.EmailId ?? "(no email id)"} {message.Code}");
                }
                else
                {
                    try
                    {
                        await broker.RepublishAsync(message, exchange, DateTimeOffset.UtcNow, cancellationToken);
                    }
                    catch (RabbitMQClientException exception)
                    {
                        failed++;
                        output.WriteLine($"failed {queue.Alias} {message.EmailId ?? "(no email id)"}: not published ({exception.Message}); left in the queue");
                        continue;
                    }

                    try
                    {
                        await message.AckAsync(cancellationToken);
                    }
                    catch (RabbitMQClientException exception)
                    {
                        // The copy is out; the consumer's claim by EmailId keeps the duplicate from being sent twice.
                        failed++;
                        output.WriteLine($"failed {queue.Alias} {message.EmailId ?? "(no email id)"}: redriven but not removed ({exception.Message}); a copy stays in the queue");
                        continue;
                    }
                }

                if (++redriven >= limit)
                    break;
            }

            if (redriven >= limit)
                break;
        }

        output.WriteLine(dryRun
            ? $"dry run: would redrive {redriven}, skipped {skipped}; nothing was changed"
            : $"redriven {redriven}, skipped {skipped}, failed {failed}");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<int> PurgeAsync(DeadLetterBroker broker, IReadOnlyList<DeadLetterQueue> queues, DeadLetterFilter filter, int limit,
        TextWriter output, CancellationToken cancellationToken)
    {
        int purged = 0, skipped = 0, examined = 0;
        foreach (var queue in queues)
        {
            await foreach (var message in BrowseAsync(broker, queue, output, cancellationToken))
            {
                if (++examined % ProgressEvery == 0)
                    output.WriteLine($"... {examined} examined: purged {purged}, skipped {skipped}");
                if (!filter.Matches(message))
                {
                    skipped++;
                    continue;
                }

                await message.AckAsync(cancellationToken);
                output.WriteLine($"purged {queue.Alias} {message.EmailId ?? "(no email id)"} {message.Code}");
                if (++purged >= limit)
                    break;
            }

            if (purged >= limit)
                break;
        }

        output.WriteLine($"purged {purged}, skipped {skipped}");
        return 0;
    }

    private static async IAsyncEnumerable<DeadLetterMessage> BrowseAsync(DeadLetterBroker broker, DeadLetterQueue queue, TextWriter output,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var count = await broker.CountAsync(queue, cancellationToken);
        if (count is null)
        {
            output.WriteLine($"({queue.Name} does not exist yet)");
            yield break;
        }

        await foreach (var message in broker.BrowseAsync(queue, count.Value, cancellationToken))
            yield return message;
    }

    /// <summary>`--name` alone parses as "true"; `--name false` turns it off.</summary>
    private static bool Flag(CliArguments args, string name) => args.Get(name) is { } value && value != "false";

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Time(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Truncate(string? value, int length) =>
        value is null ? "-" : value.Length <= length ? value : string.Concat(value.AsSpan(0, length - 3), "...");
}
