namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>What a `dlq` verb was asked to do, as parsed from its options.</summary>
internal sealed record DeadLetterRequest(
    string Verb,
    string? Queue = null,
    string? Code = null,
    string? AppId = null,
    int? SinceMinutes = null,
    IReadOnlyList<string>? EmailIds = null,
    int? Limit = null,
    bool All = false,
    bool DryRun = false,
    bool Yes = false,
    bool Full = false,
    string? ShowEmailId = null);
