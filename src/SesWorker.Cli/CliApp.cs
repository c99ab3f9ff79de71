using Microsoft.Extensions.Configuration;
using SesWorker.Cli.Commands;

namespace SesWorker.Cli;

/// <summary>The operator and producer tool. Connection strings come from the same configuration keys as the worker.</summary>
internal static class CliApp
{
    private const string Usage = """
        usage: sesworker <command> [options]
          migrate                       apply the EF Core migrations to ConnectionStrings:Postgres
          publish --app-id ID --from ADDR --to ADDR[,ADDR] --subject S [--text T] [--html H]
                  [--attach FILE]... [--email-id GUID] [--count N]
                                        publish SendEmail as plain JSON (what any language would send)
          history [--limit N] [--status S] [--app-id ID]
                                        the most recent emails and their outcomes
          show EMAIL_ID                 one email with all its attempts
          stats [--since-minutes N]     counts by status and code
          dlq list|show|redrive|purge   dead-lettered messages: browse, redrive to send-email, delete
                                        (sesworker dlq for the options)
        configuration: ConnectionStrings__Postgres, ConnectionStrings__RabbitMq (environment) or appsettings.json
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = CliArguments.Parse(args.Skip(1));
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return args[0] switch
            {
                "migrate" => await MigrateCommand.RunAsync(configuration, cancellation.Token),
                "publish" => await PublishCommand.RunAsync(configuration, options, cancellation.Token),
                "history" => await HistoryCommand.RunAsync(configuration, options, cancellation.Token),
                "show" => await HistoryCommand.ShowAsync(configuration, options, cancellation.Token),
                "stats" => await HistoryCommand.StatsAsync(configuration, options, cancellation.Token),
                "dlq" => await DeadLetterCommand.RunAsync(configuration, options, cancellation.Token),
                _ => Fail($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (CliException exception)
        {
            return Fail(exception.Message);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
