namespace SesWorker.Persistence.History;

public enum ClaimState
{
    /// <summary>This worker owns the send now.</summary>
    Claimed,

    /// <summary>The email already reached a terminal state: acknowledge without sending again.</summary>
    AlreadyCompleted,

    /// <summary>Another worker holds a live lease on it (a duplicate in flight): try again after the lease.</summary>
    HeldElsewhere,
}

public sealed record ClaimResult(ClaimState State, string Status, int Attempts);
