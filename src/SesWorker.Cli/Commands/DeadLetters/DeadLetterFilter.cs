namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>
/// `--code`, `--app-id`, `--since-minutes` and `--email-id` (repeatable, or comma-separated): a message matches
/// when it satisfies every filter given. A message that does not say (no code, no time) does not match.
/// </summary>
internal sealed class DeadLetterFilter
{
    private readonly string? _code;
    private readonly string? _appId;
    private readonly DateTimeOffset? _since;
    private readonly HashSet<string> _emailIds;

    private DeadLetterFilter(string? code, string? appId, DateTimeOffset? since, HashSet<string> emailIds)
    {
        _code = code;
        _appId = appId;
        _since = since;
        _emailIds = emailIds;
    }

    public bool IsEmpty => _code is null && _appId is null && _since is null && _emailIds.Count == 0;

    public static DeadLetterFilter From(DeadLetterRequest request, DateTimeOffset now)
    {
        var emailIds = (request.EmailIds ?? [])
            .SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => DeadLetterMessage.NormalizeEmailId(v)!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? since = null;
        if (request.SinceMinutes is { } minutes)
        {
            if (minutes <= 0)
                throw new CliException("--since-minutes must be a positive number");
            since = now.AddMinutes(-minutes);
        }

        return new DeadLetterFilter(request.Code, request.AppId, since, emailIds);
    }

    public bool Matches(DeadLetterMessage message) =>
        (_code is null || string.Equals(_code, message.Code, StringComparison.OrdinalIgnoreCase))
        && (_appId is null || string.Equals(_appId, message.AppId, StringComparison.Ordinal))
        && (_since is null || message.LastFailure >= _since)
        && (_emailIds.Count == 0 || (message.EmailId is { } id && _emailIds.Contains(id)));
}
