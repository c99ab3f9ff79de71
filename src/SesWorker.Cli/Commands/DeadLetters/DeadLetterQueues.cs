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

    /// <summary>Where redriven messages go: the exchange producers publish to, bound to the worker's queue.</summary>
    public string MainExchange { get; }

    public IReadOnlyList<DeadLetterQueue> All { get; }

    public static DeadLetterQueues FromConfiguration(IConfiguration configuration)
    {
        var main = configuration[ConfigurationKeys.QueueName] ?? QueueNames.SendEmail;
        return new DeadLetterQueues(main,
        [
            new("oversize", configuration[ConfigurationKeys.OversizeQueue] ?? QueueNames.Oversize),
            new("rate-limited", configuration[ConfigurationKeys.RateLimitedQueue] ?? QueueNames.RateLimited),
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
                .Select(appId => new DeadLetterQueue($"lane-error:{appId}", QueueNames.ErrorQueueOf(QueueNames.LaneQueue(main, appId!)))),
        ]);
    }

    /// <summary>`all` (the default), or a comma-separated list of short or real names.</summary>
    public IReadOnlyList<DeadLetterQueue> Select(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec == "all")
            return All;
        return spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => All.FirstOrDefault(q => q.Alias == name || q.Name == name)
                // Any fault queue by its real name: a lane's, for an appId this configuration does not list.
                ?? (name.EndsWith("_error", StringComparison.Ordinal) ? new DeadLetterQueue(name, name) : null)
                ?? throw new CliException($"unknown queue '{name}'; use {string.Join(", ", All.Select(q => q.Alias))}, a fault queue's name (..._error) or all"))
            .Distinct()
            .ToList();
    }
}
