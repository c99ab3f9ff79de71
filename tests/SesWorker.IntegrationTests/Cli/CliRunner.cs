using Microsoft.Extensions.Configuration;
using SesWorker.Cli;
using SesWorker.IntegrationTests.Infrastructure;
using Spectre.Console;

namespace SesWorker.IntegrationTests.Cli;

/// <summary>Runs `sesworker ...` in-process against the fixture's database and broker, and returns what it printed.</summary>
internal static class CliRunner
{
    public static Task<(int ExitCode, string Output)> RunAsync(this SesWorkerFixture fixture, params string[] args) =>
        fixture.RunAsync(new Dictionary<string, string?>(), args);

    /// <param name="settings">Configuration beyond the connection strings (say, the worker's accounts).</param>
    public static async Task<(int ExitCode, string Output)> RunAsync(this SesWorkerFixture fixture, IDictionary<string, string?> settings, params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = fixture.DatabaseConnectionString,
                ["ConnectionStrings:RabbitMq"] = fixture.RabbitMqUri,
            })
            .AddInMemoryCollection(settings)
            .Build();
        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 100;
        var context = new CliContext(configuration, console, output, output, TimeProvider.System);
        var exitCode = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString());
    }

    public static string[] Lines(this string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
