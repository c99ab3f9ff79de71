namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>A dead-letter queue: the short name operators type and the queue's real name.</summary>
/// <param name="ComesBack">
/// Its messages go back to the worker's queue by themselves (a TTL that dead-letters them there): `purge --queue all`
/// leaves it out, since a message removed from it is a live retry lost and its email stays dead_lettered for good.
/// </param>
internal sealed record DeadLetterQueue(string Alias, string Name, bool ComesBack = false);
