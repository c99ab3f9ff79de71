namespace SesWorker.Worker.Sending;

/// <summary>
/// The sends this process works on at once, across all lanes (<see cref="WorkerOptions.MaxConcurrentSends"/>). Each
/// lane bounds its own appId (<see cref="WorkerOptions.LaneConcurrency"/>), but lanes x that grows with the appIds
/// configured: 200 appIds made 4,800 handlers per process, which queued on the database pool until its waits timed
/// out. A freed turn goes to the lane holding the fewest turns among those waiting (round robin between equals), so
/// a busy appId uses what idle ones leave, and many busy ones share the turns evenly: a send waits in its turn for its
/// appId's slot, and a first-come order filled the gate with one appId's sends (a lane delivers its messages
/// together), each waiting for the one before it. A message waiting here holds nothing else (no connection, no bytes
/// of the budget); a lane's message waits before MassTransit builds its consume context (<see cref="GateTurnFilter"/>).
/// </summary>
public sealed class SendGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    // Lanes with waiters, in the order they are served among equals.
    private readonly LinkedList<Lane> _ready = [];
    private int _inUse;
    private int _waiting;
    private int _highWater;
    private int _capacity;
    private long _waits;

    public SendGate(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>The turns now: <see cref="GateSizer"/> moves them between the configured floor and ceiling.</summary>
    public int Capacity
    {
        get
        {
            lock (_lock)
                return _capacity;
        }
    }

    /// <summary>How many times a send has had to wait for a turn since the process started.</summary>
    public long Waits
    {
        get
        {
            lock (_lock)
                return _waits;
        }
    }

    /// <summary>
    /// Sets the turns to <paramref name="capacity"/>: more let waiting sends in at once (fewest-held lane first, as
    /// always); fewer take nothing back, and new sends wait until enough have finished.
    /// </summary>
    public void Resize(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        List<Waiter>? granted = null;
        lock (_lock)
        {
            _capacity = capacity;
            while (Next() is { } waiter)
                (granted ??= []).Add(waiter);
        }

        if (granted is not null)
        {
            foreach (var waiter in granted)
                Grant(waiter);
        }
    }

    /// <summary>Sends in progress now.</summary>
    public int InUse
    {
        get
        {
            lock (_lock)
                return _inUse;
        }
    }

    /// <summary>The most sends in progress at once since the process started: never above <see cref="Capacity"/>.</summary>
    public int HighWater
    {
        get
        {
            lock (_lock)
                return _highWater;
        }
    }

    /// <summary>Messages delivered to this process that wait for a turn.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
                return _waiting;
        }
    }

    /// <summary>Waits for a turn for a send of <paramref name="lane"/>; dispose the result to give it back.</summary>
    public ValueTask<Turn> EnterAsync(string lane, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lane);
        Waiter waiter;
        lock (_lock)
        {
            if (!_lanes.TryGetValue(lane, out var state))
                _lanes[lane] = state = new Lane();
            if (_inUse < _capacity && _ready.Count == 0)
            {
                Take(state);
                return ValueTask.FromResult(new Turn(this, state));
            }

            cancellationToken.ThrowIfCancellationRequested();
            _waits++;
            waiter = new Waiter(this, state);
            waiter.Node = state.Waiters.AddLast(waiter);
            if (state.Ready is null)
                state.Ready = _ready.AddLast(state);
            _waiting++;
        }

        if (cancellationToken.CanBeCanceled)
            waiter.Registration = cancellationToken.Register(static state => ((Waiter)state!).Gate.Cancel((Waiter)state!), waiter);
        return new ValueTask<Turn>(waiter.Completion.Task);
    }

    private void Take(Lane lane)
    {
        lane.InUse++;
        _inUse++;
        _highWater = Math.Max(_highWater, _inUse);
    }

    private void Release(Lane lane)
    {
        Waiter? next;
        lock (_lock)
        {
            lane.InUse--;
            _inUse--;
            next = Next();
        }

        Grant(next);
    }

    /// <summary>Under the lock: the waiter of the ready lane with the fewest turns, which then goes to the back.</summary>
    private Waiter? Next()
    {
        if (_inUse >= _capacity || _ready.First is null)
            return null;
        var chosen = _ready.First;
        for (var node = chosen.Next; node is not null; node = node.Next)
        {
            if (node.Value.InUse < chosen.Value.InUse)
                chosen = node;
        }

        var lane = chosen.Value;
        var waiter = lane.Waiters.First!.Value;
        lane.Waiters.RemoveFirst();
        waiter.Node = null;
        _waiting--;
        _ready.Remove(chosen);
        lane.Ready = lane.Waiters.Count > 0 ? _ready.AddLast(lane) : null;
        Take(lane);
        return waiter;
    }

    private void Grant(Waiter? waiter)
    {
        if (waiter is null)
            return;
        // Outside the lock: continuations run elsewhere (RunContinuationsAsynchronously), but a disposal may not.
        waiter.Registration.Dispose();
        if (!waiter.Completion.TrySetResult(new Turn(this, waiter.Lane)))
            Release(waiter.Lane);
    }

    private void Cancel(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node is null)
                return;
            var lane = waiter.Lane;
            lane.Waiters.Remove(waiter.Node);
            waiter.Node = null;
            _waiting--;
            if (lane.Waiters.Count == 0 && lane.Ready is not null)
            {
                _ready.Remove(lane.Ready);
                lane.Ready = null;
            }
        }

        waiter.Completion.TrySetCanceled(waiter.Registration.Token);
    }

    /// <summary>A turn in the gate, given back once.</summary>
    public sealed class Turn : IDisposable
    {
        private SendGate? _gate;
        private readonly Lane _lane;

        internal Turn(SendGate gate, Lane lane)
        {
            _gate = gate;
            _lane = lane;
        }

        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release(_lane);
    }

    internal sealed class Lane
    {
        public int InUse { get; set; }

        public LinkedList<Waiter> Waiters { get; } = [];

        public LinkedListNode<Lane>? Ready { get; set; }
    }

    internal sealed class Waiter(SendGate gate, Lane lane)
    {
        public SendGate Gate { get; } = gate;

        public Lane Lane { get; } = lane;

        public TaskCompletionSource<Turn> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }
    }
}
