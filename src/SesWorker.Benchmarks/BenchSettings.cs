using System.Globalization;
using SesWorker.SmtpSimulator.Latency;

namespace SesWorker.Benchmarks;

/// <summary>What one run does: a scenario's defaults, overridden by the command line.</summary>
internal sealed record BenchSettings
{
    public const string Usage = """
        usage: infra/bench.sh [--no-build] [--scenario one-app|many-apps|throughput|latency|fairness|crash|memory|memory-small] [--workers K]
                              [--apps N] [--backlog N] [--per-app N] [--big-attachments on|off] [--warmup N] [--concurrency N] [--recipient-cap on|off]
                              [--simulator-rate R] [--latency [REPLY=]SPEC]... [--hold-end-of-data N@DURATION]
                              [--kill-after N] [--max-seconds S] [--naive N|Ss] [--vhost NAME] [--keep-db] [--worker-env KEY=VALUE]...
          one-app     1 appId, 1000 messages, 3 workers: the limiter under a backlog
          many-apps   100 appIds, 5000 messages (50 each, interleaved), 3 workers
          throughput  200 appIds, 2000 messages (10 each) after a warm-up of 1000, 3 workers, recipient cap off:
                      raw sends/s of the whole path
          latency     1 appId, 1000 messages, 3 workers: the limiter against a distant provider (run it with
                      --latency 100ms±30ms and with --latency 300ms±100ms); rate, most in any 1 s at MAIL FROM and at the
                      end of DATA, throttled replies
          fairness    appId A with --backlog (5000) published first, then --apps (20) small appIds with --per-app (50)
                      each: per small appId its rate and publish-to-accept p99; ends when the small ones are done;
                      --big-attachments on gives A's backlog the memory scenario's attachments (small appIds behind a
                      burst of another's large messages); first, before the workers start, RabbitMQ's client alone
                      moves as many bodies between two quorum queues as the intake moves them, at --concurrency (4 when
                      absent: the worker's default without a memory limit), the floor under the intake's pass
          crash       --apps (3) appIds, --backlog (900), 3 workers; worker 1 gets kill -9 once the simulator accepted
                      --kill-after (a quarter of the backlog): how long the flow paused, how long until the dead worker's
                      claims were done, duplicates beyond `unknown`
          memory      20 appIds, 1 worker, full concurrency: 60 messages with one 3.9 MB attachment, then 200 with two
                      of 3.8 MB (two of 3.9 MB are 10.67 MB on the wire, over the provider's 10 MB per message): peak
                      worker RSS (VmHWM; target <= 256 MiB), all sent
          memory-small  the same worker and appIds with 8,000 small messages (no attachment): peak worker RSS
                      (target <= 200 MiB), all sent
          --backlog is the total message count, spread round-robin over the appIds (fairness: appId A's alone).
          --latency sets the simulator's reply delay, the simulator's syntax: 0 | 100ms | 100ms±30ms | 1%@2s |
          100ms±30ms,1%@2s, or REPLY=SPEC for one reply (greeting ehlo auth mail rcpt data end-of-data rset noop quit);
          default 100ms±30ms on every reply. --hold-end-of-data 50@30s holds every 50th end-of-DATA reply 30 s.
          --max-seconds caps the measured phase (from the first publish); what is not done by then is reported as not
          done. --timeout is the same.
          --warmup N sends N messages first and measures from when they are done (the workers' JIT tier-up then
          costs several CPU seconds per process); 0 measures from a cold start.
          --concurrency sets Worker__ConcurrentMessageLimit (the worker's default when absent).
          --simulator-rate 0 switches the simulator's 20/s per appId rule off.
          --naive N first sends N messages (default 200, stopping at 60 s if that comes first) the naive way: one at a
          time, each on a new TLS connection (connect, AUTH, one message, QUIT), to the same simulator at the same reply
          latency, before the workers start; --naive 30s sends for 30 s; --naive 0 skips it. The report gives its
          sends/s and the workers' throughput as a multiple of it (throughput scenario: target >= 5x).
          --worker-env adds configuration to every worker, e.g. Ses__RateLimiting__SafetyMargin=0.05.
        exit code: 0 completed and every target met, 3 completed with a target missed, 1 failed, 2 bad arguments
        """;

    /// <summary>
    /// Realistic by default: a provider one ordinary round trip away, as in the targets (README, "Where it stands";
    /// Targets).
    /// </summary>
    public const string DefaultLatency = "100ms±30ms";

    public required string Scenario { get; init; }

    public required int Apps { get; init; }

    public required int Backlog { get; init; }

    public required int Workers { get; init; }

    /// <summary>Messages sent and completed before the measured backlog, so JIT tier-up and first connections fall outside it.</summary>
    public int Warmup { get; init; }

    public int? Concurrency { get; init; }

    /// <summary>The worker's sender-to-recipient hourly cap (a database round trip per send); the simulator's follows it.</summary>
    public required bool RecipientCap { get; init; }

    public int SimulatorRate { get; init; } = 20;

    /// <summary>Caps the measured phase; null: the scenario's default (<see cref="EffectiveTimeout"/>).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The simulator's <c>--latency</c> values, applied in order.</summary>
    public IReadOnlyList<string> Latency { get; init; } = [DefaultLatency];

    /// <summary>The simulator's <c>--hold-end-of-data</c>, when given.</summary>
    public string? HoldEndOfData { get; init; }

    /// <summary>fairness: messages per small appId.</summary>
    public int PerApp { get; init; }

    /// <summary>crash: accepted sends before the kill.</summary>
    public int KillAfter { get; init; }

    /// <summary>fairness: appId A's backlog carries the memory scenario's attachments.</summary>
    public bool BigAttachments { get; init; }

    /// <summary>The naive sender's phase before the workers start (<see cref="NaiveSender"/>).</summary>
    public NaiveBudget Naive { get; init; } = NaiveBudget.Default;

    public string VirtualHost { get; init; } = "bench";

    public bool KeepDatabase { get; init; }

    /// <summary>Extra environment for the workers (experiments with their options); overrides all but the connection strings.</summary>
    public IReadOnlyDictionary<string, string> WorkerEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The limiter targets (>= 19.5/s per appId sustained) only make sense when every appId has a backlog.</summary>
    public bool LimiterScenario => Scenario is "one-app" or "many-apps" or "latency";

    /// <summary>The scenarios that measure the worker's memory (peak RSS against a bound, every message sent).</summary>
    public bool MemoryScenario => Scenario is "memory" or "memory-small";

    /// <summary>
    /// Enough for a slow machine: four times the ideal duration at 19.5/s per appId, plus start-up; fairness waits for
    /// the small appIds only.
    /// </summary>
    public TimeSpan EffectiveTimeout =>
        Timeout ?? (Scenario == "fairness"
            ? TimeSpan.FromSeconds(120 + (4.0 * PerApp / 19.5))
            // Two gigabytes go through RabbitMQ before the last message can be sent.
            : MemoryScenario ? TimeSpan.FromSeconds(900)
            : TimeSpan.FromSeconds(120 + (4.0 * Math.Ceiling((double)Math.Max(Backlog, Warmup) / Apps) / 19.5)));

    /// <summary>Sets the simulator's reply latencies from <see cref="Latency"/> and <see cref="HoldEndOfData"/>.</summary>
    public ReplyLatencies ApplyLatency(ReplyLatencies latencies)
    {
        ArgumentNullException.ThrowIfNull(latencies);
        foreach (var option in Latency)
            latencies.Apply(option);
        if (HoldEndOfData is { } hold)
            latencies.ApplyHold(hold);
        return latencies;
    }

    public static bool TryParse(string[] args, out BenchSettings settings, out string error)
    {
        settings = null!;
        error = string.Empty;
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var workerEnvironment = new Dictionary<string, string>(StringComparer.Ordinal);
        var latency = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                error = "help";
                return false;
            }

            if (name == "--keep-db")
            {
                named["keep-db"] = "true";
                continue;
            }

            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                error = $"unexpected argument '{name}'";
                return false;
            }

            var value = args[++i];
            if (name == "--worker-env")
            {
                var parts = value.Split('=', 2);
                if (parts.Length != 2 || parts[0].Length == 0)
                {
                    error = $"--worker-env needs KEY=VALUE, not '{value}'";
                    return false;
                }

                workerEnvironment[parts[0]] = parts[1];
                continue;
            }

            if (name == "--latency")
            {
                latency.Add(value);
                continue;
            }

            named[name[2..]] = value;
        }

        var scenario = Take(named, "scenario") ?? "one-app";
        var defaults = scenario switch
        {
            "one-app" => new BenchSettings { Scenario = scenario, Apps = 1, Backlog = 1000, Workers = 3, RecipientCap = true },
            "many-apps" => new BenchSettings { Scenario = scenario, Apps = 100, Backlog = 5000, Workers = 3, RecipientCap = true },
            "throughput" => new BenchSettings { Scenario = scenario, Apps = 200, Backlog = 2000, Workers = 3, RecipientCap = false, Warmup = 1000 },
            "latency" => new BenchSettings { Scenario = scenario, Apps = 1, Backlog = 1000, Workers = 3, RecipientCap = true },
            "fairness" => new BenchSettings { Scenario = scenario, Apps = 20, Backlog = 5000, Workers = 3, RecipientCap = true, PerApp = 50 },
            "crash" => new BenchSettings { Scenario = scenario, Apps = 3, Backlog = 900, Workers = 3, RecipientCap = true },
            // Memory, not the provider, is measured: no naive phase.
            "memory" => new BenchSettings
            {
                Scenario = scenario, Apps = 20, Backlog = BenchMessages.MemoryOneAttachment + BenchMessages.MemoryTwoAttachments, Workers = 1,
                RecipientCap = false, Naive = NaiveBudget.Parse("0"),
            },
            // The memory scenario's worker and appIds with small messages only: what a worker holds that no body does.
            "memory-small" => new BenchSettings
            {
                Scenario = scenario, Apps = 20, Backlog = 8000, Workers = 1, RecipientCap = false, Naive = NaiveBudget.Parse("0"),
            },
            _ => null,
        };
        if (defaults is null)
        {
            error = $"unknown scenario '{scenario}'";
            return false;
        }

        // --timeout is the older name of --max-seconds.
        var cap = Take(named, "timeout");
        cap = Take(named, "max-seconds") ?? cap;
        try
        {
            settings = defaults with
            {
                Apps = Number(Take(named, "apps")) ?? defaults.Apps,
                Backlog = Number(Take(named, "backlog")) ?? defaults.Backlog,
                Workers = Number(Take(named, "workers")) ?? defaults.Workers,
                Warmup = Number(Take(named, "warmup")) ?? defaults.Warmup,
                Concurrency = Number(Take(named, "concurrency")),
                RecipientCap = Take(named, "recipient-cap") switch
                {
                    null => defaults.RecipientCap,
                    "on" => true,
                    "off" => false,
                    var other => throw new FormatException($"--recipient-cap must be on or off, not '{other}'"),
                },
                SimulatorRate = Number(Take(named, "simulator-rate")) ?? defaults.SimulatorRate,
                Timeout = Number(cap) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                Latency = latency.Count > 0 ? latency : defaults.Latency,
                HoldEndOfData = Take(named, "hold-end-of-data"),
                PerApp = Number(Take(named, "per-app")) ?? defaults.PerApp,
                KillAfter = Number(Take(named, "kill-after")) ?? 0,
                BigAttachments = Take(named, "big-attachments") switch
                {
                    null or "off" => false,
                    "on" => true,
                    var other => throw new FormatException($"--big-attachments must be on or off, not '{other}'"),
                },
                Naive = Take(named, "naive") is { } naive ? NaiveBudget.Parse(naive) : defaults.Naive,
                VirtualHost = Take(named, "vhost") ?? defaults.VirtualHost,
                KeepDatabase = Take(named, "keep-db") is not null,
                WorkerEnvironment = workerEnvironment,
            };
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        if (named.Count > 0)
        {
            error = $"unknown option --{named.Keys.First()}";
            return false;
        }

        if (settings.Apps < 1 || settings.Workers < 1 || settings.Backlog < settings.Apps)
        {
            error = "need --apps >= 1, --workers >= 1 and --backlog >= --apps";
            return false;
        }

        if (settings.Scenario == "crash")
        {
            if (settings.Workers < 2)
            {
                error = "crash needs --workers >= 2: one is killed, the others carry on";
                return false;
            }

            settings = settings with { KillAfter = settings.KillAfter > 0 ? settings.KillAfter : settings.Backlog / 4 };
        }

        try
        {
            settings.ApplyLatency(new ReplyLatencies());
        }
        catch (FormatException e)
        {
            error = e.Message;
            return false;
        }

        return true;
    }

    private static string? Take(Dictionary<string, string> named, string name) =>
        named.Remove(name, out var value) ? value : null;

    private static int? Number(string? value) =>
        value is null ? null
        : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number
        : throw new FormatException($"'{value}' is not a non-negative whole number");
}
