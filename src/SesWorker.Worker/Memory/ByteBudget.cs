namespace SesWorker.Worker.Memory;

/// <summary>
/// The bytes of message bodies this worker holds while it works on them, bounded: a consumer takes its body's size
/// before it reads, composes or sends, and gives it back when its consume returns (the email sent and recorded,
/// deferred, dead-lettered or failed; the acknowledgement that waits for an outcome event's confirm holds none). Waiters are served first come,
/// first served, so a large message is not starved by a stream of small ones. A body larger than the whole budget
/// takes all of it: it waits until nothing else is in flight and then goes through alone.
/// </summary>
public sealed class ByteBudget
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = [];
    private long _inFlight;
    private long _highWater;

    public ByteBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Bytes taken now (a message larger than the budget counts as the whole budget).</summary>
    public long InFlight
    {
        get
        {
            lock (_lock)
                return _inFlight;
        }
    }

    /// <summary>The most ever taken at once: never above <see cref="Capacity"/>.</summary>
    public long HighWater
    {
        get
        {
            lock (_lock)
                return _highWater;
        }
    }

    /// <summary>Consumers waiting for room.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
                return _waiters.Count;
        }
    }

    /// <summary>Messages larger than the whole budget, each sent alone.</summary>
    public long Oversized { get; private set; }

    /// <summary>Waits until <paramref name="bytes"/> fit (all of the budget if they are more), takes them, and returns the lease that gives them back.</summary>
    public ValueTask<Lease> AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var charge = Math.Min(bytes, Capacity);
        Waiter waiter;
        lock (_lock)
        {
            if (bytes > Capacity)
                Oversized++;
            if (_waiters.Count == 0 && _inFlight + charge <= Capacity)
            {
                Take(charge);
                return ValueTask.FromResult(new Lease(this, charge));
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(this, charge);
            waiter.Node = _waiters.AddLast(waiter);
        }

        if (cancellationToken.CanBeCanceled)
            waiter.Registration = cancellationToken.Register(static state => ((Waiter)state!).Budget.Cancel((Waiter)state!), waiter);
        return new ValueTask<Lease>(waiter.Completion.Task);
    }

    private void Take(long charge)
    {
        _inFlight += charge;
        _highWater = Math.Max(_highWater, _inFlight);
    }

    private void Release(long charge)
    {
        List<Waiter>? granted = null;
        lock (_lock)
        {
            _inFlight -= charge;
            // First come, first served: the head waits for its room even when a later, smaller one would fit.
            while (_waiters.First is { } head && _inFlight + head.Value.Charge <= Capacity)
            {
                _waiters.RemoveFirst();
                head.Value.Node = null;
                Take(head.Value.Charge);
                (granted ??= []).Add(head.Value);
            }
        }

        // Outside the lock: the continuations run elsewhere (RunContinuationsAsynchronously), but a disposal may not.
        foreach (var waiter in granted ?? [])
        {
            waiter.Registration.Dispose();
            if (!waiter.Completion.TrySetResult(new Lease(this, waiter.Charge)))
                Release(waiter.Charge);
        }
    }

    private void Cancel(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node is null)
                return;
            _waiters.Remove(waiter.Node);
            waiter.Node = null;
        }

        waiter.Completion.TrySetCanceled(waiter.Registration.Token);
        // The head may have been the one holding the others back.
        Release(0);
    }

    /// <summary>Gives the bytes back once; disposing it again does nothing.</summary>
    public sealed class Lease : IDisposable
    {
        private ByteBudget? _budget;

        internal Lease(ByteBudget budget, long bytes)
        {
            _budget = budget;
            Bytes = bytes;
        }

        public long Bytes { get; }

        public void Dispose() => Interlocked.Exchange(ref _budget, null)?.Release(Bytes);
    }

    private sealed class Waiter(ByteBudget budget, long charge)
    {
        public ByteBudget Budget { get; } = budget;

        public long Charge { get; } = charge;

        public TaskCompletionSource<Lease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
