using Microsoft.Extensions.Configuration;
using SesWorker.Cli;
using Spectre.Console;

namespace SesWorker.Tests.Cli;

/// <summary>
/// Runs `sesworker ...` in-process with the given configuration and returns the exit code and what it printed. The
/// connection strings point at port 1 of the loopback address, where nothing listens: a command that gets as far as
/// connecting fails fast instead of reaching a broker or a database someone else is using.
/// </summary>
internal static class CliHarness
{
    public const string NoPostgres = "Host=127.0.0.1;Port=1;Username=sesworker;Password=x;Timeout=2";
    public const string NoRabbitMq = "amqp://guest:guest@127.0.0.1:1/";

    public static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string?> settings, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        var context = new CliContext(configuration, console, output, output, TimeProvider.System);
        int exitCode;
        try
        {
            exitCode = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // What escaped the command's own error handling: the test sees it as output, not as a crash.
            return (-1, output + exception.ToString());
        }

        return (exitCode, output.ToString());
    }
}
