using Microsoft.Extensions.Options;
using SesWorker.Messaging;
using SesWorker.Worker.Accounts;

namespace SesWorker.Worker.Sending;

/// <summary>
/// A lane per configured appId: a quorum queue <c>send-email-app-{appId}</c> with consumers of its own in every
/// replica, bounded by <see cref="WorkerOptions.LaneConcurrency"/>. Each appId waits for its own slots only.
/// </summary>
public sealed class SendLanes
{
    private readonly Dictionary<string, SendLane> _lanes;
    private readonly string _queue;
    private readonly bool _enabled;

    public SendLanes(IOptions<SesOptions> accounts, IOptions<WorkerOptions> worker)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(worker);
        _queue = worker.Value.QueueName;
        _enabled = worker.Value.Lanes;
        _lanes = _enabled
            ? accounts.Value.Accounts.Where(a => a.AppId is { Length: > 0 })
                .Select(a => a.AppId!).Distinct(StringComparer.Ordinal)
                .ToDictionary(id => id, id => new SendLane(id, QueueNames.LaneQueue(_queue, id)), StringComparer.Ordinal)
            : [];
        Large = new SendLane(string.Empty, QueueNames.LargeLaneQueue(worker.Value.QueueName));
    }

    public IReadOnlyCollection<SendLane> All => _lanes.Values;

    /// <summary>
    /// Where versions before 2026-11-28 forwarded bodies over <see cref="WorkerOptions.LaneMaxBodyBytes"/>; the intake now
    /// sends those itself. Still consumed, one at a time, so that what an older replica left there is sent after an
    /// upgrade. Declared only with lanes.
    /// </summary>
    public SendLane Large { get; }

    public SendLane? For(string? appId) => appId is not null && _lanes.TryGetValue(appId, out var lane) ? lane : null;

    /// <summary>
    /// The lane <paramref name="appId"/> has on the replicas configured for it, when this one is not (the accounts changing
    /// one replica at a time); null when this replica has the appId, or no appId, or runs without lanes.
    /// </summary>
    public string? OtherReplicasLane(string? appId) =>
        _enabled && appId is { Length: > 0 } && !_lanes.ContainsKey(appId) ? QueueNames.LaneQueue(_queue, appId) : null;
}

public sealed record SendLane(string AppId, string Queue);
