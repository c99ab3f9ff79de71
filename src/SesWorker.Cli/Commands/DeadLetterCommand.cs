using System.CommandLine;
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
    /// <summary>`dlq list|show|redrive|purge`, each with the queue and filter options.</summary>
    public static Command Create(CliContext context)
    {
        var dlq = new Command("dlq", "Dead-lettered messages: browse, redrive to send-email, delete.");
        dlq.Subcommands.Add(Verb(context, "list", "List dead-lettered messages (nothing is removed)."));
        dlq.Subcommands.Add(Verb(context, "show", "One message's properties, headers and body.", withId: true));
        dlq.Subcommands.Add(Verb(context, "redrive", "Publish matching messages back to the worker's exchange and remove them."));
        dlq.Subcommands.Add(Verb(context, "purge", "Delete matching messages for good."));
        return dlq;
    }

    private static Command Verb(CliContext context, string verb, string description, bool withId = false)
    {
        var queue = new Option<string?>("--queue")
        {
            Description = "oversize, rate-limited, parked, error, held-error, large-error, lane-error:APPID (any appId), a fault queue's name (..._error), "
                + "or all (default: the lanes of the configured Ses__Accounts__* only); several with commas. purge: all leaves out rate-limited, "
                + "whose messages go back to send-email by themselves; name it to purge it.",
        };
        var code = new Option<string?>("--code") { Description = "Only messages with this code." };
        var appId = new Option<string?>("--app-id") { Description = "Only messages of this appId." };
        var sinceMinutes = new Option<int?>("--since-minutes") { Description = "Only messages whose last failure is this recent." };
        var emailId = new Option<string[]>("--email-id") { Description = "Only these email ids (repeatable, or comma-separated)." };
        var limit = new Option<int?>("--limit") { Description = "At most this many (list: 100)." };
        var all = new Option<bool>("--all") { Description = "redrive/purge everything selected, without a filter." };
        var dryRun = new Option<bool>("--dry-run") { Description = "redrive: say what would be redriven." };
        var yes = new Option<bool>("--yes") { Description = "purge: confirm." };
        var full = new Option<bool>("--full") { Description = "show: long strings (attachments) in full." };
        var id = new Argument<string>("email-id") { Description = "The email id to show." };
        var command = new Command(verb, description) { queue, code, appId, sinceMinutes, emailId, limit, all, dryRun, yes, full };
        if (withId)
            command.Arguments.Add(id);
        command.SetAction(context, (parse, cancellationToken) => RunAsync(context.Configuration, new DeadLetterRequest(verb,
            parse.GetValue(queue), parse.GetValue(code), parse.GetValue(appId), parse.GetValue(sinceMinutes), parse.GetValue(emailId),
            parse.GetValue(limit), parse.GetValue(all), parse.GetValue(dryRun), parse.GetValue(yes), parse.GetValue(full),
            withId ? parse.GetValue(id) : null), cancellationToken, context.Output));
        return command;
    }

    private const int ProgressEvery = 100;

    public static async Task<int> RunAsync(IConfiguration configuration, DeadLetterRequest request, CancellationToken cancellationToken, TextWriter? output = null)
    {
        output ??= Console.Out;
        var verb = request.Verb;
        var queues = DeadLetterQueues.FromConfiguration(configuration);
        var purging = verb == "purge";
        var selected = queues.Select(request.Queue, purging);
        var filter = DeadLetterFilter.From(request, DateTimeOffset.UtcNow);
        var limit = request.Limit ?? (verb == "list" ? 100 : int.MaxValue);
        if (limit <= 0)
            throw new CliException("--limit must be a positive number");

        switch (verb)
        {
            case "list" or "show":
                break;
            case "redrive" or "purge" when filter.IsEmpty && !request.All:
                throw new CliException($"dlq {verb} needs a filter (--email-id, --code, --app-id, --since-minutes) or --all");
            case "purge" when !request.Yes:
                throw new CliException("dlq purge deletes messages for good: add --yes");
            case "redrive" or "purge":
                break;
            default:
                throw new CliException($"unknown dlq command '{verb}'");
        }

        foreach (var note in queues.Notes(request.Queue, purging))
            output.WriteLine(note);

        await using var broker = await DeadLetterBroker.ConnectAsync(configuration, cancellationToken);
        return verb switch
        {
            "list" => await ListAsync(broker, selected, filter, limit, output, cancellationToken),
            "show" => await ShowAsync(broker, selected, request, output, cancellationToken),
            "redrive" => await RedriveAsync(broker, selected, filter, limit, queues.MainExchange, request.DryRun, output, cancellationToken),
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

    private static async Task<int> ShowAsync(DeadLetterBroker broker, IReadOnlyList<DeadLetterQueue> queues, DeadLetterRequest request, TextWriter output,
        CancellationToken cancellationToken)
    {
        var emailId = DeadLetterMessage.NormalizeEmailId(request.ShowEmailId ?? throw new CliException("usage: sesworker dlq show EMAIL_ID [--queue Q] [--full]"));
        var maxString = request.Full ? int.MaxValue : 200;
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

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Time(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";

    private static string Truncate(string? value, int length) =>
        value is null ? "-" : value.Length <= length ? value : string.Concat(value.AsSpan(0, length - 3), "...");
}
