using System.ComponentModel.DataAnnotations;

namespace SesWorker.Worker.Limiting;

public sealed class RateLimitingOptions
{
    public const string SectionName = "Ses:RateLimiting";

    /// <summary>SMTP transactions per second per appId, across every replica (the provider's default is 20).</summary>
    [Range(0.001, 10_000)]
    public double RatePerSecond { get; set; } = 20;

    /// <summary>Per-appId rates, for accounts whose limit the provider raised or lowered.</summary>
    public Dictionary<string, double> Overrides { get; set; } = [];

    /// <summary>
    /// Run this fraction under the limit. Sends leave the worker spaced by the interval, but reach the
    /// provider after a network and scheduling delay that varies; the margin absorbs that jitter. At 2.5% (19.5/s)
    /// 20 slots span 1,026 ms: half of those 26 ms are left for the way to the provider (README, Rate limits).
    /// </summary>
    [Range(0, 0.5)]
    public double SafetyMargin { get; set; } = 0.025;

    /// <summary>How far ahead (beyond the lead) a slot may be reserved; a send whose slot would be further asks again later.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>
    /// Sends per appId per process that ask the database for slots at once; the others wait in the process. Each asks
    /// again while the horizon is full, so more contenders mostly mean more statements: with 4 per process, three
    /// workers asked 13.8 times per send, with 1, 4.1 times (latency benchmark). One reservation takes a millisecond or
    /// two, so even one contender serves hundreds of slots a second.
    /// </summary>
    [Range(1, 64)]
    public int ContendersPerAppId { get; set; } = 2;

    /// <summary>
    /// The lead before the first measurement of any appId in this process: how long the provider is assumed to take from
    /// MAIL FROM to its go-ahead for the content. Too short only costs a fresh slot for the first sends; too long only
    /// delays them. An appId that has not measured the provider itself uses what the process measured for its other
    /// appIds (<see cref="SesWorker.Core.Limiting.ProviderLatency"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan InitialLead { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How late a send may use a slot of a quiet appId (a second's span of room or more before it) without a word to the
    /// database: the slot is recorded as counted that much later when it is reserved, so the slots after it keep their
    /// distance anyway. A busy schedule, or one with a short gap, gets none and loses nothing (given to every slot with
    /// room, it cost the latency benchmark's one busy appId 1%: 18.94/s against 19.14); an appId that goes from quiet to
    /// its full rate at once has the second after a quiet slot start up to this much later. On a loaded machine (three
    /// workers, 200 appIds at 0 ms) nearly every send reached the wire late by its reservation's round trip, and each then
    /// paid a round trip more to record it, or two for a fresh slot: 97 sends/s without the allowance, 147 with it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan IdleAllowance { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest lead ever used: a provider slower than this gets its content late, in fresh slots.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30")]
    public TimeSpan MaxLead { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>What one throttled reply multiplies the appId's interval by (1.25: the rate drops to 80%).</summary>
    [Range(1.01, 10)]
    public double PenaltyStep { get; set; } = 1.25;

    /// <summary>The most the interval is ever multiplied by.</summary>
    [Range(1.01, 100)]
    public double MaxPenalty { get; set; } = 4;

    /// <summary>How long a step-down takes to wear off (linearly).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PenaltyRecovery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest a message is held waiting for slots before it is retried through the broker.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxHold { get; set; } = TimeSpan.FromMinutes(2);

    public bool RecipientCapEnabled { get; set; } = true;

    /// <summary>Mails per window from one sender to one recipient (the provider's 10 per hour).</summary>
    [Range(1, 100_000)]
    public int RecipientCap { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RecipientWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Added to the window when counting: a send is counted when it is checked, the provider counts it at its end of
    /// DATA, later by the wait for its slot (at most <see cref="MaxHold"/>, then a lead and <see cref="MaxWait"/>), the
    /// connection (connect, TLS, AUTH) and the commands before the content. Without it, a mail back exactly when the
    /// window freed could be the provider's 11th in its hour (FrequencyLimit: blocked until 00:00). At least
    /// <see cref="MaxHold"/> + <see cref="MaxLead"/> + <see cref="MaxWait"/> + <see cref="ConnectionAllowance"/>
    /// (<see cref="RateLimitingOptionsValidator"/>); the 2 minutes it was equalled <see cref="MaxHold"/> alone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RecipientWindowMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>What <see cref="RecipientWindowMargin"/> must leave for the connection and the commands before the content.</summary>
    public static readonly TimeSpan ConnectionAllowance = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The bandwidth a message's content is assumed to reach the provider at, in bytes per second (5,000,000: 40 Mbit/s,
    /// a link to a provider across a continent; 0: no account taken). The provider counts a call at its end of DATA, and
    /// the content starts at the slot: a 4 MB message over that link ends 0.8 s after its slot, in the second of the
    /// twenty calls after it. Its slot is recorded as counted that much later, so the slot a second's worth later keeps
    /// its distance (<see cref="TransferTime"/>). Up to the tolerance (26 ms: 130 KB here) it costs nothing; set it to
    /// what the workers' uplink to the provider carries.
    /// </summary>
    [Range(0, 10_000_000_000d)]
    public double UploadBytesPerSecond { get; set; } = 5_000_000;

    /// <summary>How long <paramref name="sizeBytes"/> of content take at <see cref="UploadBytesPerSecond"/>.</summary>
    public TimeSpan TransferTime(long sizeBytes) =>
        UploadBytesPerSecond > 0 && sizeBytes > 0 ? TimeSpan.FromSeconds(sizeBytes / UploadBytesPerSecond) : TimeSpan.Zero;

    public double RateFor(string appId) => Overrides.TryGetValue(appId, out var rate) ? rate : RatePerSecond;

    /// <summary>The calls the provider allows in any second at <paramref name="rate"/>: floor(rate), at least one.</summary>
    public static int CallsPerSecond(double rate) => (int)Math.Max(1, Math.Floor(rate));

    /// <summary>
    /// How much more than a second <see cref="CallsPerSecond"/> consecutive slots span: a call that reaches the provider
    /// this much after its slot still cannot make a second hold one call too many (<see cref="RateLimitingOptionsValidator"/>
    /// requires at least a millisecond).
    /// </summary>
    public static TimeSpan Tolerance(double rate, double safetyMargin) =>
        SesWorker.Core.Limiting.Gcra.Interval(rate, safetyMargin) * CallsPerSecond(rate) - TimeSpan.FromSeconds(1);
}
