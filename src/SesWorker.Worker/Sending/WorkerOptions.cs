using System.ComponentModel.DataAnnotations;

namespace SesWorker.Worker.Sending;

public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>The durable quorum queue the worker consumes. Producers publish to the exchange of the same name.</summary>
    [Required]
    public string QueueName { get; set; } = "send-email";

    /// <summary>
    /// Messages the intake (<see cref="QueueName"/>) handles at once per process: it only moves them to their lanes. Also
    /// its prefetch, so at most this many bodies of any size are in memory there. Unset: from the byte budget
    /// (<see cref="IntakeConcurrency"/>).
    /// </summary>
    [Range(1, 1024)]
    public int? ConcurrentMessageLimit { get; set; }

    /// <summary>
    /// Give each configured appId a lane queue of its own, so one appId's backlog never delays another's. Off: every
    /// message is sent from the intake queue (one appId's backlog then holds the others up).
    /// </summary>
    public bool Lanes { get; set; } = true;

    /// <summary>
    /// Sends in flight per appId per process (each holds a pooled SMTP connection while it sends). Enough for one
    /// replica to keep the appId's rate through the provider's reply latency: rate x the time a send holds its place.
    /// At 300 ms per reply that is about 1.6 s (MAIL FROM to the go-ahead, then the end of DATA's reply), so 20/s needs
    /// about 32; one replica at the former default of 24 made 15.19-15.25/s there, at 40 18.90/s (README, Rate limits across
    /// replicas). 40 leaves room for jitter.
    /// </summary>
    [Range(1, 1024)]
    public int LaneConcurrency { get; set; } = DefaultLaneConcurrency;

    /// <summary>The default of <see cref="LaneConcurrency"/>, which a sender's connections follow (<see cref="Smtp.SmtpOptions.MaxConnectionsPerSender"/>).</summary>
    public const int DefaultLaneConcurrency = 40;

    /// <summary>
    /// The most sends this process works on at once across all lanes (<see cref="SendGate"/>): what bounds the work, and
    /// the database connections it needs, however many appIds are configured. A busy appId uses what idle ones leave, up
    /// to its <see cref="LaneConcurrency"/>. The gate starts at <see cref="MinConcurrentSends"/> and grows towards this
    /// while sends wait for a turn, their appIds are below their rates and they reach the wire on time; it shrinks when
    /// they go late (<see cref="GateSizing"/> says why and what was measured). The database pool follows the turns only
    /// up to 32 (+ 8 connections) unless the connection string sets Maximum Pool Size: a send holds at most one
    /// connection at a time, for a few statements.
    /// </summary>
    [Range(1, 4096)]
    public int MaxConcurrentSends { get; set; } = 128;

    /// <summary>
    /// The turns the gate starts with and never goes below (at most <see cref="MaxConcurrentSends"/>). 32 holds one
    /// appId's need in a single replica at 300 ms per reply (about 32 sends in flight; <see cref="LaneConcurrency"/>, 40,
    /// leaves room above it); on two cores, 3 workers with 200 appIds at 0 ms made 112 sends/s at 32 and 106/s at 64. Set
    /// it to <see cref="MaxConcurrentSends"/> for a fixed gate.
    /// </summary>
    [Range(1, 4096)]
    public int MinConcurrentSends { get; set; } = 32;

    /// <summary>The gate's floor and ceiling: <see cref="MinConcurrentSends"/> capped by <see cref="MaxConcurrentSends"/>.</summary>
    public (int Floor, int Ceiling) ConcurrentSendsRange => (Math.Min(MinConcurrentSends, MaxConcurrentSends), MaxConcurrentSends);

    /// <summary>
    /// The bytes of message bodies this process holds while it works on them (<see cref="Memory.ByteBudget"/>), from
    /// the moment a consumer starts on a message until its consume returns, each charged <see cref="Footprint"/>. Unset, it
    /// follows the memory the garbage collector may use (<see cref="DefaultInFlightBytes"/>): 128 MiB in a 512 MiB
    /// container or larger, or on a machine without a limit, less in a smaller container (README, Memory).
    /// </summary>
    [Range(1L * 1024 * 1024, 64L * 1024 * 1024 * 1024)]
    public long InFlightBytes { get; set; } = DefaultInFlightBytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    /// <summary>
    /// The budget for a process whose garbage collector may use <paramref name="gcAvailableBytes"/> (in a container .NET
    /// allows 75% of its memory limit; <c>DOTNET_GCHeapHardLimit</c> sets it outright): half of what is left after
    /// 128 MiB for the runtime, the libraries and the client's buffers beyond the budget, between 32 and 128 MiB. So
    /// 128 MiB from a 512 MiB container (384 MiB for the GC) up, 80 MiB in a 384 MiB one (288), 32 MiB at 256 MiB (192).
    /// In the memory benchmark at the GC limit of a 384 MiB container, 128 MiB ran out of memory 60 times (2 emails sent
    /// twice, recorded unknown), 80 MiB not once.
    /// </summary>
    public static long DefaultInFlightBytes(long gcAvailableBytes) =>
        Math.Clamp((gcAvailableBytes - 128 * MiB) / 2, 32 * MiB, 128 * MiB);

    private const long MiB = 1024 * 1024;

    /// <summary>
    /// Bodies larger than this are sent by the intake itself instead of going to their appId's lane: a lane delivers up
    /// to <see cref="LaneConcurrency"/> bodies at once, so appIds x LaneConcurrency x this is what the lanes can hold
    /// (20 appIds at the default of 40: 50 MiB); the intake holds only as many as the budget has room for
    /// (<see cref="IntakeConcurrency"/>).
    /// </summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int LaneMaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The largest body a legal message has as JSON: 8 MiB of attachments in base64 (10.7 MiB) and 1 MiB of text.</summary>
    public const long LargestLegalBody = 12L * 1024 * 1024;

    /// <summary>
    /// What a body costs in memory per byte (README, Memory): the buffer RabbitMQ's client rents to assemble it (rounded
    /// up to a power of two, and kept by its pool: up to 2 bytes a byte), and for a small body the buffer the client rents
    /// to frame it on to its lane (<see cref="LaneForwarder"/> publishes from the delivery, without MassTransit's copy);
    /// a large one is composed and written from the delivery a few KiB at a time. The budget is charged this much.
    /// </summary>
    public const int FootprintPerBodyByte = 3;

    /// <summary>The bytes a body of <paramref name="bodyBytes"/> is charged to the budget.</summary>
    public static long Footprint(long bodyBytes) => bodyBytes * FootprintPerBodyByte;

    /// <summary>
    /// What the intake allows for one of the largest legal bodies: two of the client's buffers of its size, rented from
    /// the shared array pool, which rounds up to a power of two (16 MiB each). The intake sends such a body from its
    /// delivery buffer; the second is room for what the pool keeps beyond the buffers in use (at the memory benchmark's
    /// peak 9 of 16 MiB were alive with 4 in use; 5 since large messages end on one thread,
    /// <see cref="Memory.BufferReturnFilter"/>, and the room left over is what keeps that benchmark under 256 MiB).
    /// </summary>
    public static readonly long IntakeBytesPerMessage = 2L * (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)LargestLegalBody);

    /// <summary>
    /// Messages the intake holds at once, and its prefetch: <see cref="ConcurrentMessageLimit"/>, or else as many of the
    /// largest legal bodies as the budget holds at <see cref="IntakeBytesPerMessage"/> (4 at 128 MiB, at least 1, at
    /// most 64). Any body can arrive there, and RabbitMQ's prefetch counts messages, not bytes, so this many are in
    /// memory before the budget is asked (README, Memory). In a 512 MiB container a burst of 10 MB messages ran out of
    /// memory at 8 and 16 (the client's connection failed with them), and went through at 4, peak RSS 370 MiB. The cost
    /// is the intake's pace with small messages: raise the budget (and the memory) to raise it.
    /// </summary>
    public int IntakeConcurrency => ConcurrentMessageLimit ?? (int)Math.Clamp(InFlightBytes / IntakeBytesPerMessage, 1, 64);

    /// <summary>
    /// The prefix of this replica's id in claims, attempts and heartbeats (<see cref="ResolveWorkerId"/>); unset, the host
    /// name and process id. Two processes configured alike still get ids of their own.
    /// </summary>
    [MaxLength(128 - 7)]
    public string? WorkerId { get; set; }

    /// <summary>How often this worker tells the database it is alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A worker silent this long (database clock) counts as gone: the emails it had claimed are taken over by the
    /// next copy that arrives. Several heartbeats long, so a busy moment is not a death.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan TakeoverAfter { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>SMTP attempts per email for transient failures, including the first.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a message keeps being retried soon while no connection to the provider can be made (no transaction,
    /// so no attempt is used up); after that it is parked for minutes at a time, never failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ConnectOutageTolerance { get; set; } = TimeSpan.FromMinutes(2);

    public SesWorker.Core.Sending.SendPolicyOptions PolicyOptions() => new(MaxAttempts, RetryBaseDelay, RetryMaxDelay, ConnectOutageTolerance);

    /// <summary>
    /// A new id for one start of the worker: <c>{WorkerId}-{6 hex}</c>, or <c>{host name}-{process id}-{6 hex}</c> unset,
    /// the hex random at every call. A restarted container keeps its host name and, as PID 1, its process id: without the
    /// hex the new process took the dead one's id, its first heartbeat made the dead one's claims look alive, and their
    /// copies waited in the held queue instead of being taken over; two live processes given one <see cref="WorkerId"/>
    /// shared an owner and a claim of one was the other's too. Called once per start (<see cref="WorkerIdentity"/>):
    /// every component of a process reads that one.
    /// </summary>
    public string ResolveWorkerId() =>
        $"{WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}"}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
}
