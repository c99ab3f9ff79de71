using System.Diagnostics;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// A reserved rate-limit slot for one send, in this process's monotonic clock (<see cref="Stopwatch"/> ticks):
/// the transaction starts at <see cref="StartAt"/> (MAIL FROM) and the content goes out at <see cref="ContentAt"/>,
/// the moment the provider counts the call, or as soon after <see cref="EarliestContentAt"/> as the provider says go.
/// </summary>
/// <remarks>
/// The slot is placed at the latest moment its reservation's round trip allows, so it is never early; how much later
/// than the database meant it may be is <see cref="Uncertainty"/>. <see cref="Excused"/> is how far the appId's later
/// slots were moved back for this one's lateness.
/// </remarks>
public sealed class SendSlot(
    string appId, long startAt, long contentAt, DateTimeOffset slotAt = default, TimeSpan uncertainty = default, long? earliestContentAt = null,
    TimeSpan allowance = default)
{
    public string AppId { get; } = appId;

    public long StartAt { get; private set; } = startAt;

    public long ContentAt { get; private set; } = contentAt;

    /// <summary>
    /// The earliest the content may go without crowding the slots before it (placed, like the slot, at the latest moment
    /// its reservation allows): before <see cref="ContentAt"/> where the slot lies a lead from its reservation rather than
    /// right after the slots before it, as for an appId sending below its rate. The content then goes at the go-ahead
    /// instead of sitting out the rest of a lead estimated for the slowest replies.
    /// </summary>
    public long EarliestContentAt { get; private set; } = earliestContentAt ?? contentAt;

    /// <summary>The slot (the content's moment) on the database's clock: what a push for its lateness is measured from.</summary>
    public DateTimeOffset SlotAt { get; private set; } = slotAt;

    /// <summary>How much later than the database meant the slot may lie (the reservation's round trip beyond the fastest).</summary>
    public TimeSpan Uncertainty { get; private set; } = uncertainty;

    /// <summary>How far the later slots were moved for this one's lateness (from the start, its slot's idle allowance).</summary>
    public TimeSpan Excused { get; set; } = allowance;

    /// <summary>
    /// How long the content takes to reach the provider once it starts (<see cref="RateLimitingOptions.TransferTime"/>):
    /// the provider counts the call at its end of DATA, this much after the slot, so the slot is recorded as counted
    /// that much later (at its reservation, and in every excuse).
    /// </summary>
    public TimeSpan Transfer { get; init; }

    /// <summary>When the content really went out.</summary>
    public long ContentSentAt { get; set; }

    /// <summary>How far the clock is past the start's (or the content's) moment: negative while it is early.</summary>
    public TimeSpan SinceMoment(bool content) => Stopwatch.GetElapsedTime(content ? ContentAt : StartAt);

    /// <summary>
    /// How late the moment may reach the provider, <paramref name="sinceMoment"/> past it, less what was already
    /// recorded on it. The slot lies somewhere in the <see cref="Uncertainty"/> before the moment, so a call is late by
    /// what it passes the start of that span (a call that goes early, from <see cref="EarliestContentAt"/>, usually not).
    /// </summary>
    public TimeSpan Lateness(TimeSpan sinceMoment) =>
        (sinceMoment + Uncertainty > TimeSpan.Zero ? sinceMoment + Uncertainty : TimeSpan.Zero) - Excused;

    /// <summary>A start too late to be used: the transaction waits for a fresh slot.</summary>
    public void MoveTo(long startAt, long contentAt, long earliestContentAt, DateTimeOffset slotAt, TimeSpan uncertainty, TimeSpan allowance) =>
        (StartAt, ContentAt, EarliestContentAt, SlotAt, Uncertainty, Excused) = (startAt, contentAt, earliestContentAt, slotAt, uncertainty, allowance);

    /// <summary>A late go-ahead moved the content to a fresh slot.</summary>
    public void MoveContentTo(long contentAt, long earliestContentAt, DateTimeOffset slotAt, TimeSpan uncertainty, TimeSpan allowance) =>
        (ContentAt, EarliestContentAt, SlotAt, Uncertainty, Excused) = (contentAt, earliestContentAt, slotAt, uncertainty, allowance);

    public static long After(long timestamp, TimeSpan delay) => timestamp + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Until(long timestamp) => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
}
