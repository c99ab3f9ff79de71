using Microsoft.Extensions.Configuration;
using SesWorker.Messaging;

namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>
/// The dead-letter queues under the short names of <c>--queue</c>. Real names come from the same configuration
/// keys as the worker's (Worker:QueueName, Worker:DeadLetter:*), so the tool follows a renamed queue.
/// </summary>
internal sealed class DeadLetterQueues
{
    private DeadLetterQueues(string mainExchange, IReadOnlyList<DeadLetterQueue> all)
    {
        MainExchange = mainExchange;
        All = all;
    }

    /// <summary>Where redriven messages go: the exchange producers publish to, bound to the worker's queue of the same name.</summary>
    public string MainExchange { get; }

    public IReadOnlyList<DeadLetterQueue> All { get; }

    public static DeadLetterQueues FromConfiguration(IConfiguration configuration)
    {
        var main = configuration[ConfigurationKeys.QueueName] ?? QueueNames.SendEmail;
        return new DeadLetterQueues(main,
        [
            new("oversize", configuration[ConfigurationKeys.OversizeQueue] ?? QueueNames.Oversize),
            // Back in the worker's queue after Worker:DeadLetter:RateLimitedDelay, then parked after too many cycles.
            new("rate-limited", configuration[ConfigurationKeys.RateLimitedQueue] ?? QueueNames.RateLimited, ComesBack: true),
            new("parked", configuration[ConfigurationKeys.RateLimitedParkedQueue] ?? QueueNames.RateLimitedParked),
            // MassTransit's fault queue for the worker's receive endpoint.
            new("error", QueueNames.ErrorQueueOf(main)),
            // The fault queues of the worker's other endpoints: the held copies', the large lane's, and each configured
            // appId's lane (Ses:Accounts, when the tool runs with the worker's configuration). A message lands in one of
            // those only through an infrastructure fault that outlasted its retries, or a body published to a lane directly.
            new("held-error", QueueNames.ErrorQueueOf(QueueNames.HeldQueue(main))),
            new("large-error", QueueNames.ErrorQueueOf(QueueNames.LargeLaneQueue(main))),
            .. configuration.GetSection(ConfigurationKeys.Accounts).GetChildren()
                .Select(account => account["AppId"])
                .Where(appId => !string.IsNullOrWhiteSpace(appId))
                .Distinct()
                .Select(appId => Lane(main, appId!)),
        ]);
    }

    private const string LanePrefix = "lane-error:";

    private static DeadLetterQueue Lane(string main, string appId) =>
        new($"{LanePrefix}{appId}", QueueNames.ErrorQueueOf(QueueNames.LaneQueue(main, appId)));

    /// <summary>
    /// `all` (the default), or a comma-separated list of short or real names, `all` among them. `lane-error:APPID` names
    /// any appId's lane, configured or not: over AMQP the tool cannot list the broker's queues, so `all` holds only the
    /// lanes of the appIds in its configuration (<see cref="Notes"/> says so when there are none). When
    /// <paramref name="purging"/>, `all` leaves out the queues whose messages come back by themselves; named, they are
    /// selected.
    /// </summary>
    public IReadOnlyList<DeadLetterQueue> Select(string? spec, bool purging = false)
    {
        var everything = purging ? All.Where(q => !q.ComesBack).ToList() : All;
        return Names(spec)
            .SelectMany(name => name == "all" ? everything : [Resolve(name)])
            .Distinct()
            .ToList();
    }

    /// <summary>What the operator should know about a selection before it runs: what `all` did not take.</summary>
    public IEnumerable<string> Notes(string? spec, bool purging)
    {
        var names = Names(spec);
        if (!names.Contains("all"))
            yield break;
        if (!All.Any(q => q.Alias.StartsWith(LanePrefix, StringComparison.Ordinal)) && !names.Any(n => n.StartsWith(LanePrefix, StringComparison.Ordinal)))
            yield return "(no appId lanes' fault queues in all: no Ses__Accounts__* in this configuration; name them with --queue lane-error:APPID)";
        if (purging)
        {
            foreach (var queue in All.Where(q => q.ComesBack && !names.Contains(q.Alias) && !names.Contains(q.Name)))
                yield return $"({queue.Alias} left out of all: its messages go back to {MainExchange} by themselves; purge them with --queue {queue.Alias})";
        }
    }

    /// <summary>The names a --queue value lists; none given is `all`.</summary>
    private static string[] Names(string? spec) =>
        string.IsNullOrWhiteSpace(spec) ? ["all"] : spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private DeadLetterQueue Resolve(string name)
    {
        if (All.FirstOrDefault(q => q.Alias == name || q.Name == name) is { } known)
            return known;
        if (name.StartsWith(LanePrefix, StringComparison.Ordinal))
        {
            // An appId the configuration does not list (the tool run with the connection strings only): appIds are digits.
            var appId = name[LanePrefix.Length..];
            return appId.Length > 0 && appId.All(char.IsAsciiDigit)
                ? Lane(MainExchange, appId)
                : throw new CliException($"--queue {name}: use lane-error:APPID, where APPID is the appId's digits (lane-error:1250000000)");
        }

        // Any fault queue by its real name.
        return name.EndsWith("_error", StringComparison.Ordinal)
            ? new DeadLetterQueue(name, name)
            : throw new CliException($"unknown queue '{name}'; use {string.Join(", ", All.Where(q => !q.Alias.StartsWith(LanePrefix, StringComparison.Ordinal)).Select(q => q.Alias))}, lane-error:APPID, a fault queue's name (..._error) or all");
    }
}
