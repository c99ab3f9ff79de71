using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using RabbitMQ.Client.Exceptions;
using SesWorker.Client;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;
using Spectre.Console;

namespace SesWorker.Cli.Commands;

/// <summary>
/// `publish`: one message from options, or an NDJSON file (one SendEmail per line, in any shape the worker reads).
/// Each message is read as the worker reads it and checked against the same pre-send rules (SesWorker.Client), so a
/// message the worker would refuse is refused here, before it costs a queue slot, and counted in the summary.
/// </summary>
internal static class PublishCommand
{
    private const int ListedRefusals = 20;

    public static Command Create(CliContext context)
    {
        var file = new Option<FileInfo?>("--file", "-f") { Description = "An NDJSON file: one SendEmail JSON per line." };
        var appId = new Option<string?>("--app-id") { Description = "The appId (Tencent Cloud account)." };
        var from = new Option<string?>("--from") { Description = "Sender: a@b or \"Name <a@b>\"." };
        var to = new Option<string[]>("--to") { Description = "Recipient (repeatable, or comma-separated).", AllowMultipleArgumentsPerToken = true };
        var subject = new Option<string?>("--subject") { Description = "Subject." };
        var text = new Option<string?>("--text") { Description = "Plain-text body." };
        var html = new Option<string?>("--html") { Description = "HTML body." };
        var attach = new Option<FileInfo[]>("--attach") { Description = "A file to attach (repeatable)." };
        var emailId = new Option<string?>("--email-id") { Description = "A GUID, or your own key (up to 255 characters); default: a new GUID." };
        var count = new Option<int>("--count") { Description = "Publish this many copies, each with a new id (load tests).", DefaultValueFactory = _ => 1 };
        var exchange = new Option<string?>("--exchange") { Description = "Default: the worker's queue name (Worker:QueueName, send-email)." };
        var command = new Command("publish", "Publish SendEmail as plain JSON, checked first against the worker's rules.")
        {
            file, appId, from, to, subject, text, html, attach, emailId, count, exchange,
        };
        command.SetAction(context, async (parse, cancellationToken) =>
        {
            var target = parse.GetValue(exchange) ?? Connections.MainExchange(context.Configuration);
            var uri = Connections.RabbitMqUri(context.Configuration);
            await using var publisher = await ConnectAsync(uri, target, cancellationToken);
            if (parse.GetValue(file) is { } ndjson)
                return await PublishFileAsync(context, publisher, ndjson, cancellationToken);

            var copies = parse.GetValue(count);
            if (copies < 1)
                throw new CliException("--count must be 1 or more");
            var attachments = new List<EmailAttachment>();
            foreach (var path in parse.GetValue(attach) ?? [])
                attachments.Add(await Attachments.FromFileAsync(path.FullName, cancellationToken: cancellationToken));
            var app = parse.GetValue(appId) ?? throw new CliException("--app-id is required (or --file)");
            var recipients = (parse.GetValue(to) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var given = parse.GetValue(emailId);
            if (given is not null && copies > 1)
                throw new CliException("--email-id names one message; leave it out with --count");

            var stopwatch = Stopwatch.StartNew();
            int published = 0, refused = 0;
            for (var i = 0; i < copies; i++)
            {
                var (id, key) = given is null ? EmailIds.New() : EmailIds.From(app, given);
                var message = new SendEmail
                {
                    EmailId = id,
                    ProducerKey = key,
                    AppId = app,
                    From = parse.GetValue(from) is { } sender ? EmailAddress.Parse(sender) : null,
                    To = recipients.Select(EmailAddress.Parse).ToList(),
                    Subject = parse.GetValue(subject),
                    Text = parse.GetValue(text),
                    Html = parse.GetValue(html),
                    Attachments = attachments.Count == 0 ? null : attachments,
                    Metadata = new Dictionary<string, string> { ["source"] = "sesworker-cli" },
                };
                var result = await publisher.PublishAsync(message, cancellationToken);
                if (result.Published)
                    published++;
                else
                    refused++;
                if (copies == 1)
                {
                    await context.Output.WriteLineAsync(result.Published
                        ? $"published {result.EmailId}{(key is null ? "" : $" (producer key {key})")}"
                        : $"refused {result.EmailId}: {result.Code}: {result.Reason}");
                }
            }

            if (copies > 1)
                await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"published {published}, refused {refused} in {stopwatch.Elapsed.TotalSeconds:F1}s"));
            return refused == 0 ? 0 : 1;
        });
        return command;
    }

    private static async Task<SesWorkerPublisher> ConnectAsync(string uri, string exchange, CancellationToken cancellationToken)
    {
        try
        {
            return await SesWorkerPublisher.ConnectAsync(uri, exchange, cancellationToken: cancellationToken);
        }
        catch (BrokerUnreachableException exception)
        {
            throw new CliException($"cannot connect to RabbitMQ: {exception.InnerException?.Message ?? exception.Message}");
        }
    }

    private static async Task<int> PublishFileAsync(CliContext context, SesWorkerPublisher publisher, FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
            throw new CliException($"no file {file.FullName}");
        int published = 0, refused = 0, lineNumber = 0;
        var refusals = new List<string>();
        var stopwatch = Stopwatch.StartNew();

        await context.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                // Progress by bytes: the file is read once, without counting its lines first.
                var task = progress.AddTask($"publishing {file.Name}", maxValue: Math.Max(1, file.Length));
                await using var stream = file.OpenRead();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    lineNumber++;
                    task.Increment(Encoding.UTF8.GetByteCount(line) + 1);
                    if (string.IsNullOrWhiteSpace(line))
                        continue;
                    var read = SendEmailReader.Read(Encoding.UTF8.GetBytes(line));
                    var result = read.IsReadable
                        ? await publisher.PublishAsync(read.Message, cancellationToken)
                        : PublishResult.Refused(read.Message?.EmailId ?? Guid.Empty, read.Message?.ProducerKey, read.Code!, read.Reason!);
                    if (result.Published)
                    {
                        published++;
                        continue;
                    }

                    refused++;
                    if (refusals.Count < ListedRefusals)
                        refusals.Add(string.Create(CultureInfo.InvariantCulture, $"line {lineNumber}: {result.Code}: {result.Reason}"));
                }

                task.Value = task.MaxValue;
            });

        foreach (var refusal in refusals)
            await context.Output.WriteLineAsync($"refused {refusal}");
        if (refused > refusals.Count)
            await context.Output.WriteLineAsync($"... and {refused - refusals.Count} more refused");
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"published {published}, refused {refused} of {published + refused} messages in {stopwatch.Elapsed.TotalSeconds:F1}s"));
        return refused == 0 ? 0 : 1;
    }
}
