namespace SesWorker.Core.Sending;

/// <summary>
/// What happens to an email after a try (or after the checks before one). A closed set: the consumer carries
/// each out and decides nothing itself.
/// </summary>
public abstract record SendDecision
{
    private SendDecision()
    {
    }

    /// <summary>The provider accepted the message.</summary>
    public sealed record Sent : SendDecision;

    /// <summary>
    /// Try again after <paramref name="Delay"/>, through a delay queue (never inside a consumer slot).
    /// <paramref name="Unknown"/>: the connection died after DATA began, so the provider may already have it.
    /// <paramref name="CountsAsAttempt"/> is false when no SMTP transaction happened (connect, TLS or AUTH failed).
    /// </summary>
    public sealed record RetryAfter(TimeSpan Delay, bool Unknown, bool CountsAsAttempt) : SendDecision;

    /// <summary>Not before <paramref name="Until"/>: the provider said when (TemporaryBlocked), or the provider has been unreachable for long.</summary>
    public sealed record DeferUntil(DateTimeOffset Until, string Reason) : SendDecision;

    /// <summary>The appId's daily quota is spent: every replica stops sending for it until <paramref name="Until"/>; this email waits too.</summary>
    public sealed record PauseApp(DateTimeOffset Until) : SendDecision;

    /// <summary>
    /// Never sent: a permanent refusal, or transient ones until the attempts ran out. <paramref name="Unknown"/>: the last
    /// try's connection died after DATA began, so the provider may have the message after all (its attempt says so).
    /// </summary>
    public sealed record Fail(SendFailure Failure, bool Unknown = false) : SendDecision;

    /// <summary>
    /// To a dead-letter queue (oversize, rate-limited). <paramref name="StepDownRate"/>: the provider itself
    /// throttled the appId, so its rate comes down for every replica.
    /// </summary>
    public sealed record DeadLetter(SendFailure Failure, bool StepDownRate) : SendDecision;
}
