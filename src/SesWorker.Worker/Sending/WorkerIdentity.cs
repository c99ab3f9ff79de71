using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SesWorker.Worker.Sending;

/// <summary>
/// This start's worker id (<see cref="WorkerOptions.ResolveWorkerId"/>), resolved once and registered as a singleton, so
/// the heartbeat, the warm-up and every claim and attempt of the process carry the same one: a claim under an id that
/// does not beat would be taken over by the next copy, and a heartbeat under another would keep nobody's claims alive.
/// </summary>
public sealed class WorkerIdentity(string id)
{
    public string Id { get; } = id;

    /// <summary>Whether <paramref name="id"/> is an id resolved from the configured <paramref name="workerId"/>: that, a dash and 6 hex.</summary>
    public static bool IsOf(string id, string workerId) =>
        id is not null && workerId is not null && id.Length == workerId.Length + 7 && id.StartsWith(workerId + "-", StringComparison.Ordinal);

    /// <summary>The registration's factory: resolved from the options once, by the container that holds the singleton.</summary>
    public static WorkerIdentity Resolve(IServiceProvider services) =>
        new(services.GetRequiredService<IOptions<WorkerOptions>>().Value.ResolveWorkerId());

    public override string ToString() => Id;
}
