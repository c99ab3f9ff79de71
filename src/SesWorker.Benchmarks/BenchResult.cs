namespace SesWorker.Benchmarks;

/// <summary>Everything one run measured; printed as a table and written as JSON under .tmp/bench/.</summary>
internal sealed record BenchResult
{
    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required MachineInfo Machine { get; init; }

    /// <summary>From the first publish to the end of the drain.</summary>
    public required MachineLoad Load { get; init; }

    public required BenchSettings Settings { get; init; }

    /// <summary>False when the run timed out before every message had an outcome.</summary>
    public required bool Completed { get; init; }

    public required int Published { get; init; }

    public required double PublishSeconds { get; init; }

    public required IReadOnlyList<OutcomeCount> Outcomes { get; init; }

    /// <summary>From the first publish to the last outcome recorded in PostgreSQL.</summary>
    public required double? DrainSeconds { get; init; }

    public required SimulatorFigures Simulator { get; init; }

    public required IReadOnlyList<WorkerResult> Workers { get; init; }

    public required IReadOnlyList<TargetCheck> Targets { get; init; }

    /// <summary>The fairness scenario's figures; null in the others.</summary>
    public FairnessFigures? Fairness { get; init; }

    /// <summary>The crash scenario's figures; null in the others.</summary>
    public CrashFigures? Crash { get; init; }

    /// <summary>The fairness scenario's broker alone moving appId A's backlog (<see cref="Benchmarks.BrokerFloor"/>); null in the others.</summary>
    public BrokerFloorFigures? BrokerFloor { get; init; }

    /// <summary>The naive sender's phase; null with <c>--naive 0</c>.</summary>
    public NaiveFigures? Naive { get; init; }

    /// <summary>The workers' throughput as a multiple of the naive sender's sends/s.</summary>
    public double? NaiveRatio => Naive is { SendsPerSecond: > 0 } naive ? Simulator.ThroughputPerSecond / naive.SendsPerSecond : null;

    public bool TargetsMet => Targets.All(t => t.Met);
}

/// <summary>What the simulator (the referee) observed for this run's recipients.</summary>
internal sealed record SimulatorFigures
{
    public required int Accepted { get; init; }

    /// <summary>Accepted transactions beyond the first for a recipient: the same email sent twice.</summary>
    public required int Duplicates { get; init; }

    public required int Throttled { get; init; }

    /// <summary>Distinct SMTP connections that carried this run's transactions: pooled sending keeps this near the pool size.</summary>
    public required int Connections { get; init; }

    public required IReadOnlyDictionary<string, int> OtherRefusals { get; init; }

    /// <summary>Per appId, (accepted - 1) / (last - first accepted), skipping each appId's first 10% of sends (the ramp-up).</summary>
    public required Spread SustainedRate { get; init; }

    /// <summary>The same over every accepted send of the appId.</summary>
    public required Spread FullSpanRate { get; init; }

    /// <summary>The most accepted sends of one appId inside any one-second window (max over appIds).</summary>
    public required int MaxInAnySecond { get; init; }

    /// <summary>
    /// The most MAIL FROMs answered 250 of one appId in any one second since the first publish (max over appIds), at the
    /// simulator: the start of each transaction, the moment a provider may count.
    /// </summary>
    public required int MaxInAnySecondAtMailFrom { get; init; }

    /// <summary>The same at the end of DATA, refused calls included: what the simulator's rate rule counts.</summary>
    public required int MaxInAnySecondAtEndOfData { get; init; }

    /// <summary>
    /// The shortest span of 21 consecutive MAIL FROMs (answered 250) of one appId, in ms (min over appIds): over 1,000 is
    /// within the rule, and what it is over 1,000 is the margin the run left unused.
    /// </summary>
    public double? TightestMailFromMs { get; init; }

    /// <summary>The same at the end of DATA.</summary>
    public double? TightestEndOfDataMs { get; init; }

    public required IReadOnlyList<WindowDetail> Violations { get; init; }

    /// <summary>Accepted sends / (last accepted - first publish).</summary>
    public required double ThroughputPerSecond { get; init; }

    /// <summary>(Accepted - 1) / (last - first accepted): the rate once sending has begun.</summary>
    public required double AcceptSpanPerSecond { get; init; }

    public required double EndToEndP50Ms { get; init; }

    public required double EndToEndP99Ms { get; init; }
}

internal sealed record Spread(double Min, double Median, double Max);

/// <summary>A one-second window with more accepted sends than allowed, for the timing detail.</summary>
internal sealed record WindowDetail(string AppId, int Count, double StartSeconds, IReadOnlyList<double> OffsetsMs, IReadOnlyList<string> Connections);

/// <param name="JitThreadCpuMsDuringRun">The tiered-compilation thread's part of <paramref name="CpuMsDuringRun"/> (a lower bound of the JIT's).</param>
internal sealed record WorkerResult(
    string Id, WorkerMetrics? Metrics, double MaxRssMiB, double CpuMsTotal, double CpuMsDuringRun, double JitThreadCpuMsDuringRun, int ExitCode);

internal sealed record TargetCheck(string Name, string Value, string Target, bool Met);

/// <summary>
/// The small appIds of the fairness scenario, published after appId A's backlog. Rate per small appId:
/// (accepted - 1) / (last accept - first accept), where the last accept is the end of the observation when some of its
/// messages were never accepted.
/// </summary>
internal sealed record FairnessFigures(
    int SmallAppIds,
    int PerApp,
    int SmallAccepted,
    Spread SmallRate,
    double SlowestFirstAcceptSeconds,
    double SmallP50Ms,
    double SmallP99Ms,
    int BigBacklog,
    int BigAccepted,
    double? BigRate);

/// <summary>
/// The crash scenario. Times in seconds; <paramref name="LongestPauseSeconds"/> is the longest gap between accepted sends
/// from the last accept before the kill on (to the end of the observation when not everything was done), and
/// <paramref name="TakeoverSeconds"/> the time from the kill until every email the dead worker held unfinished had a
/// terminal row (null: not by the time the workers had stopped). Duplicates are counted once the workers have stopped.
/// </summary>
internal sealed record CrashFigures(
    string KilledWorker,
    double KilledAtSeconds,
    int AcceptedBeforeKill,
    int HeldAtKill,
    IReadOnlyDictionary<string, int> HeldByStatus,
    double LongestPauseSeconds,
    double LongestPauseFromKillSeconds,
    double? FirstAcceptAfterKillSeconds,
    double? TakeoverSeconds,
    int HeldNotFinished,
    int Duplicates,
    int DuplicatesRecordedUnknown,
    int DuplicatesBeyondUnknown);

/// <summary>
/// The naive sender's phase (<see cref="NaiveSender"/>), counted at the simulator like the workers' sends.
/// <paramref name="SendsPerSecond"/> is accepted / <paramref name="Seconds"/> (from its first connect to its last QUIT);
/// <paramref name="MessageP50Ms"/> and <paramref name="MessageP99Ms"/> time one message from composing it to the end
/// of QUIT.
/// </summary>
internal sealed record NaiveFigures(
    string Budget,
    string ReplyLatency,
    int AppIds,
    int Sent,
    int Accepted,
    int Throttled,
    IReadOnlyDictionary<string, int> OtherRefusals,
    int Connections,
    int MaxInAnySecondPerAppId,
    double Seconds,
    double SendsPerSecond,
    double MessageP50Ms,
    double MessageP99Ms,
    MachineLoad Load);
