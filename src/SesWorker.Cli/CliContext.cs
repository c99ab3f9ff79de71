using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace SesWorker.Cli;

/// <summary>What every command gets: configuration, the console (tables, progress) and plain writers (JSON, dlq).</summary>
internal sealed class CliContext(IConfiguration configuration, IAnsiConsole console, TextWriter output, TextWriter error, TimeProvider time)
{
    public IConfiguration Configuration { get; } = configuration;

    public IAnsiConsole Console { get; } = console;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public TimeProvider Time { get; } = time;

    /// <summary>The terminal's width (80 when output is redirected), unless --width says otherwise.</summary>
    public int Width(int? requested) => requested is > 20 ? requested.Value : Math.Max(40, Console.Profile.Width);
}
