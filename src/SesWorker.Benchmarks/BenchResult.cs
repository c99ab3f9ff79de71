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
