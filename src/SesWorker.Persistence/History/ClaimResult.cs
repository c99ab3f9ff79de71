namespace SesWorker.Persistence.History;

public enum ClaimState
{
    /// <summary>This worker owns the send now; its writes carry <see cref="ClaimResult.Token"/>.</summary>
    Claimed,

    /// <summary>The email already reached a terminal state: acknowledge without sending again.</summary>
    AlreadyCompleted,

    /// <summary>A live worker owns it (a duplicate in flight): come back once that owner is done or gone.</summary>
    HeldElsewhere,
}

/// <param name="Token">The fence of this claim: a write without it (a former owner's) changes nothing.</param>
/// <param name="NotSentSince">Since when the provider could not be reached for this email (no transaction since).</param>
/// <param name="RecoveredUnknown">The former owner died after the transaction began: recorded as an unknown attempt.</param>
/// <param name="CreatedAt">When the email was first seen: its Date header, the same on every try.</param>
/// <param name="DueAt">For a claimed email parked in a delay queue (<c>retrying</c>, <c>deferred</c>, <c>unknown</c>): when
/// its parked copy is due; a copy that claims it sooner goes round again until then instead of sending.</param>
/// <param name="DueCode">The code the email was parked with (its row's failure code), for such a copy's own deferral.</param>
/// <param name="OwnerStaleIn">For <see cref="ClaimState.HeldElsewhere"/>: when the owner counts as gone if it stops beating.</param>
public sealed record ClaimResult(
    ClaimState State,
    string Status,
    int Attempts,
    Guid Token = default,
    DateTimeOffset? NotSentSince = null,
    bool RecoveredUnknown = false,
    TimeSpan? OwnerStaleIn = null,
    DateTimeOffset? CreatedAt = null,
    DateTimeOffset? DueAt = null,
    string? DueCode = null);
