namespace SesWorker.Persistence.Limiting;

public enum RateLimitVerdict
{
    /// <summary>A slot is reserved <see cref="RateLimitGrant.Wait"/> from now.</summary>
    Granted,

    /// <summary>
    /// The next free slot is beyond the horizon: the send is queued for a place (<see cref="RateLimitGrant.SlotAt"/>,
    /// one interval behind the last send queued) and asks again after <see cref="RateLimitGrant.RetryAfter"/>, when the
    /// horizon reaches it.
    /// </summary>
    Busy,

    /// <summary>The appId is paused (daily quota) until <see cref="RateLimitGrant.PausedUntil"/>.</summary>
    Paused,

    /// <summary>A slot was reserved, but the email's claim is no longer this worker's: do not send.</summary>
    Fenced,
}

/// <summary>
/// The database's answer. <see cref="Lead"/> is the shared lead the slot was computed with: the transaction starts
/// that long before the slot. <see cref="Penalty"/> is the appId's current interval multiplier (1 = full rate).
/// <see cref="Wait"/> is measured from the start of the statement; <see cref="StatementTime"/> is how long the
/// statement then took in the database (a wait for the row lock included), so the caller can tell where in its round
/// trip that start lay. <see cref="SlotAt"/> is the granted slot on the database's clock (for <see cref="RateLimitVerdict.Busy"/>, the
/// place the send queued for). <see cref="EarliestWait"/>
/// (from the same start, at most <see cref="Wait"/>, negative when it is past) is the earliest the content may go
/// without crowding the slots before it: where the slot was placed one lead from now, not by the slots before it, a
/// go-ahead that comes sooner than the lead need not be held to the slot. <see cref="Allowance"/> is how late the slot
/// may be used and still be on time: its lateness up to that is recorded already. <see cref="StatementStartedAt"/> is the
/// statement's start on the database's clock, which the caller places on its own clock (<c>StatementClock</c>).
/// </summary>
public readonly record struct RateLimitGrant(
    RateLimitVerdict Verdict,
    TimeSpan Wait,
    TimeSpan Lead,
    double Penalty,
    TimeSpan RetryAfter = default,
    DateTimeOffset? PausedUntil = null,
    TimeSpan StatementTime = default,
    DateTimeOffset SlotAt = default,
    TimeSpan EarliestWait = default,
    TimeSpan Allowance = default,
    DateTimeOffset StatementStartedAt = default);
