using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Worker.Limiting;

namespace SesWorker.Worker.Sending;

/// <summary>
/// What the gate saw in one period: sends that began to wait for a turn, slots granted, how many of those had room
/// before them (their appId below its rate), sends that reached the wire too late for their slot and took a fresh one,
/// and the sends waiting for a turn at its end (those that began to wait before it too).
/// </summary>
public readonly record struct GateSample(long Waits, long Slots, long SlotsBelowRate, long LateSends, int WaitingNow = 0)
{
    /// <summary>What happened between two readings of the process's running counts; the waiting are the later reading's.</summary>
    public static GateSample operator -(GateSample now, GateSample earlier) => new(now.Waits - earlier.Waits, now.Slots - earlier.Slots,
        now.SlotsBelowRate - earlier.SlotsBelowRate, now.LateSends - earlier.LateSends, now.WaitingNow);
}

/// <summary>
/// How many turns the gate should have (<see cref="WorkerOptions.MinConcurrentSends"/> to
/// <see cref="WorkerOptions.MaxConcurrentSends"/>). A turn lasts a send's whole transaction, most of it the provider's
/// replies, so with a distant provider the turns, not the CPU, bound a replica: one worker, 20 appIds, 100 ms per reply
/// made 73 sends/s at 32 turns and 199 at 128. Where replicas share too few cores, more turns only make more sends late
/// (fairness benchmark, three workers on two cores: small appIds 4.5/s each at 32, 3.0 at 128). So the turns grow while
/// sends wait for one, their appIds are below their rates (the turns bind, not the limiter) and they reach the wire on
/// time; they shrink when sends start to go late.
/// </summary>
public static class GateSizing
{
    /// <summary>
    /// Fewer slots than this in a period (20 sends/s in 2 s) say nothing either way. Below it the first seconds of a
    /// backlog looked like room: in the crash benchmark (3 appIds at their full rates, three workers) every appId's first
    /// slots had room before them, a worker grew to 48 turns at 11-15 sends/s and held 47 claims when it was killed
    /// instead of 32. The price: a replica whose 32 turns carry under 20 sends/s (a provider over 400 ms per reply) keeps
    /// its floor; raise <see cref="WorkerOptions.MinConcurrentSends"/> there.
    /// </summary>
    public const int MinSlots = 40;

    /// <summary>Turns added in a period that asks for more.</summary>
    public const int Step = 16;

    /// <summary>Grow only while at most this share of sends took a fresh slot for being late.</summary>
    public const double GrowWhileLateAtMost = 0.10;

    /// <summary>Shrink by a quarter when more than this share did.</summary>
    public const double ShrinkWhenLateAbove = 0.20;

    /// <summary>Grow only while at least this share of slots had room before them (the appIds below their rates).</summary>
    public const double GrowWhileBelowRateAtLeast = 0.5;

    public static int Next(int turns, int floor, int ceiling, GateSample sample)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(floor, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ceiling, floor);
        turns = Math.Clamp(turns, floor, ceiling);
        if (sample.Slots < MinSlots)
            return turns;
        var late = (double)sample.LateSends / sample.Slots;
        if (late > ShrinkWhenLateAbove)
            return Math.Max(floor, turns - Math.Max(1, turns / 4));
        var belowRate = (double)sample.SlotsBelowRate / sample.Slots;
        // Sends wait for a turn: new ones in the period, or ones still waiting from before it. Counting only the new ones
        // missed a backlog delivered at once: 200 appIds' lanes delivered 4,800 messages in the first second, and the
        // turns stayed at 32 (25 sends/s at 300 ms per reply, every slot on time and below its rate) while they waited.
        if ((sample.Waits > 0 || sample.WaitingNow > 0) && late <= GrowWhileLateAtMost && belowRate >= GrowWhileBelowRateAtLeast)
            return Math.Min(ceiling, turns + Step);
        return turns;
    }
}

/// <summary>Every <see cref="Period"/>, sets the gate's turns from what the period saw (<see cref="GateSizing"/>).</summary>
public sealed partial class GateSizer(SendGate gate, SendMetrics metrics, IOptions<WorkerOptions> options, ILogger<GateSizer> logger)
    : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (floor, ceiling) = options.Value.ConcurrentSendsRange;
        if (floor == ceiling)
            return;
        var last = Read();
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Read();
                var sample = now - last;
                last = now;
                var turns = gate.Capacity;
                var next = GateSizing.Next(turns, floor, ceiling, sample);
                if (next == turns)
                {
                    Log.Kept(logger, turns, sample.Slots, sample.LateSends, sample.SlotsBelowRate, sample.Waits, sample.WaitingNow);
                    continue;
                }

                gate.Resize(next);
                Log.Resized(logger, turns, next, sample.Slots, sample.LateSends, sample.SlotsBelowRate, sample.Waits, sample.WaitingNow);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private GateSample Read() => new(gate.Waits, metrics.Slots, metrics.SlotsBelowRate, metrics.LateSends, gate.Waiting);

    private static partial class Log
    {
        [LoggerMessage(3110, LogLevel.Debug,
            "Send turns {Turns} -> {Next}: {Slots} slots in the last period, {Late} late, {BelowRate} below their appId's rate, {Waits} sends began to wait for a turn, {Waiting} waiting now")]
        public static partial void Resized(ILogger logger, int turns, int next, long slots, long late, long belowRate, long waits, int waiting);

        [LoggerMessage(3111, LogLevel.Trace,
            "Send turns stay {Turns}: {Slots} slots in the last period, {Late} late, {BelowRate} below their appId's rate, {Waits} sends began to wait for a turn, {Waiting} waiting now")]
        public static partial void Kept(ILogger logger, int turns, long slots, long late, long belowRate, long waits, int waiting);
    }
}
