namespace SesWorker.Cli;

/// <summary>A usage or configuration error: printed without a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
