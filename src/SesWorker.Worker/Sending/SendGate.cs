namespace SesWorker.Worker.Sending;

/// <summary>
/// The sends this process works on at once, across all lanes (<see cref="WorkerOptions.MaxConcurrentSends"/>). Each
/// lane bounds its own appId (<see cref="WorkerOptions.LaneConcurrency"/>), but lanes x that grows with the appIds
/// configured: 200 appIds made 4,800 handlers per process, which queued on the database pool until its waits timed
/// out. The gate is shared and first come, first served, so one busy appId takes what the idle ones leave, and many
/// busy ones share it in turn; a message waiting here holds nothing else (no connection, no bytes of the budget).
/// </summary>
public sealed class SendGate : IDisposable
{
    private readonly SemaphoreSlim _permits;
    private int _waiting;
    private int _highWater;

    public SendGate(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _permits = new SemaphoreSlim(capacity, capacity);
    }

    public int Capacity { get; }

    /// <summary>Sends in progress now.</summary>
    public int InUse => Capacity - _permits.CurrentCount;

    /// <summary>The most sends in progress at once since the process started: never above <see cref="Capacity"/>.</summary>
    public int HighWater => Volatile.Read(ref _highWater);

    /// <summary>Messages delivered to this process that wait for a turn.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for a turn (async waiters are served in order); dispose the result to give it back.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (!_permits.Wait(0, CancellationToken.None))
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await _permits.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        var inUse = InUse;
        for (var seen = Volatile.Read(ref _highWater); inUse > seen; seen = Volatile.Read(ref _highWater))
        {
            if (Interlocked.CompareExchange(ref _highWater, inUse, seen) == seen)
                break;
        }

        return new Turn(this);
    }

    public void Dispose() => _permits.Dispose();

    /// <summary>A turn in the gate, given back once.</summary>
    public sealed class Turn : IDisposable
    {
        private SendGate? _gate;

        internal Turn(SendGate gate) => _gate = gate;

        public void Dispose() => Interlocked.Exchange(ref _gate, null)?._permits.Release();
    }
}
