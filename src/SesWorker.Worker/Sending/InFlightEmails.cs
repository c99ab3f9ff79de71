using System.Collections.Concurrent;

namespace SesWorker.Worker.Sending;

/// <summary>
/// The EmailIds this process is handling right now. With it, a claim may be re-taken by the same worker
/// (a retry after a database outage) without letting two duplicate deliveries inside one process both send.
/// </summary>
public sealed class InFlightEmails
{
    private readonly ConcurrentDictionary<Guid, byte> _emails = new();

    public bool TryEnter(Guid emailId) => _emails.TryAdd(emailId, 0);

    public void Exit(Guid emailId) => _emails.TryRemove(emailId, out _);
}
