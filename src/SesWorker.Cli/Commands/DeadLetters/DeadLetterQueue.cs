namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>A dead-letter queue: the short name operators type and the queue's real name.</summary>
internal sealed record DeadLetterQueue(string Alias, string Name);
