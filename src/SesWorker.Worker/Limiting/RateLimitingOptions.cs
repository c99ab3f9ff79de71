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
    /// provider after a network and scheduling delay that varies; the margin absorbs that jitter.
    /// </summary>
    [Range(0, 0.5)]
    public double SafetyMargin { get; set; } = 0.02;

    /// <summary>
    /// How far ahead a slot may be reserved. Kept well under one second: a late send can then still push back
    /// the sends that would share its one-second window, because those are not reserved yet.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Sends per appId per process that ask the database for slots at once; the others wait in the process.</summary>
    [Range(1, 64)]
    public int ContendersPerAppId { get; set; } = 4;

    /// <summary>The longest a message is held waiting for slots before it is retried through the broker.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxHold { get; set; } = TimeSpan.FromMinutes(2);

    public bool RecipientCapEnabled { get; set; } = true;

    /// <summary>Mails per window from one sender to one recipient (the provider's 10 per hour).</summary>
    [Range(1, 100_000)]
    public int RecipientCap { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RecipientWindow { get; set; } = TimeSpan.FromHours(1);

    public double RateFor(string appId) => Overrides.TryGetValue(appId, out var rate) ? rate : RatePerSecond;
}
