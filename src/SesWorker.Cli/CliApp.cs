using System.CommandLine;
using Microsoft.Extensions.Configuration;
using SesWorker.Cli.Commands;
using Spectre.Console;

namespace SesWorker.Cli;

/// <summary>
/// The operator and producer tool. Connection strings and queue names come from the same configuration keys as the
/// worker (environment or appsettings.json). Exit codes: 0 done, 1 done with refusals or nothing found, 2 usage or
/// configuration error.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        var context = new CliContext(configuration, AnsiConsole.Console, Console.Out, Console.Error, TimeProvider.System);
        return await RunAsync(args, context, cancellation.Token);
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        var root = new RootCommand("SesWorker: publish emails, query the send history, handle dead letters, migrate the database.")
        {
            HistoryCommand.Create(context),
            ShowCommand.Create(context),
            StatsCommand.Create(context),
            PublishCommand.Create(context),
            DeadLetterCommand.Create(context),
            PurgeCommand.Create(context),
            MigrateCommand.Create(context),
            HistoryBenchCommand.Create(context),
        };
        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = context.Output, Error = context.Error }, cancellationToken);
    }

    /// <summary>Every command's action: a usage or configuration problem is one line on stderr and exit code 2, not a stack trace.</summary>
    public static void SetAction(this Command command, CliContext context, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken);
            }
            catch (CliException exception)
            {
                await context.Error.WriteLineAsync($"error: {exception.Message}");
                return 2;
            }
        });
}
