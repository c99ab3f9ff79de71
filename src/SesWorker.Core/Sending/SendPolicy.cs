namespace SesWorker.Core.Sending;

/// <summary>
/// The send decision as a pure function: given what the SMTP try ended in, the email's history and the time,
/// what happens next. No I/O, no clock of its own, no randomness of its own (the jitter is an argument), so
/// every branch is a unit test.
/// </summary>
public sealed class SendPolicy(SendPolicyOptions options)
{
    /// <summary>How long a provider that cannot be reached is retried before the email is parked for longer.</summary>
    public static readonly TimeSpan OutageDeferral = TimeSpan.FromMinutes(2);

    /// <param name="result">What the try ended in.</param>
    /// <param name="history">The email's attempts before this try, and since when the provider could not be reached.</param>
    /// <param name="now">The time the decision is made.</param>
    /// <param name="jitter">A number in [0, 1): spreads retries of emails that failed together.</param>
    public SendDecision Decide(SendResult result, AttemptHistory history, DateTimeOffset now, double jitter)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(history);
        if (result.Failure is not { } failure)
            return new SendDecision.Sent();

        var attempts = result.NotSent ? history.Attempts : history.Attempts + 1;
        if (FailureClassifier.PauseFor(failure.Code, now) is { } pause)
        {
            if (pause.WholeAccount)
                return new SendDecision.PauseApp(pause.Until);
            if (attempts < options.MaxAttempts)
                return new SendDecision.DeferUntil(pause.Until, $"{failure.Message} (deferred until {pause.Until:O})");
            return new SendDecision.Fail(Exhausted(failure, attempts));
        }

        switch (failure.Class)
        {
            case FailureClass.Oversize:
                return new SendDecision.DeadLetter(failure, StepDownRate: false);
            case FailureClass.RateLimited:
                // Only the provider's own throttling says our pace was too fast; the recipient cap is ours.
                return new SendDecision.DeadLetter(failure, StepDownRate: failure.Code != ErrorCodes.RecipientHourlyCap);
            case FailureClass.Permanent:
                return new SendDecision.Fail(failure);
        }

        if (result.NotSent)
        {
            // No transaction happened: an outage of the provider or of the network uses up no attempt. Past the
            // tolerance the email is parked for longer, never failed.
            var since = history.NotSentSince ?? now;
            if (now - since >= options.ConnectOutageTolerance)
                return new SendDecision.DeferUntil(now + OutageDeferral,
                    $"{failure.Message} (no connection for {now - since:g}; deferred until {(now + OutageDeferral):O})");
            // Connect retries slow down as the outage lasts: a quarter of its length so far, within the retry bounds.
            var wait = Math.Clamp((now - since).TotalMilliseconds / 4, options.RetryBaseDelay.TotalMilliseconds, options.RetryMaxDelay.TotalMilliseconds);
            return new SendDecision.RetryAfter(TimeSpan.FromMilliseconds(wait / 2 + wait / 2 * Math.Clamp(jitter, 0, 1)), Unknown: false, CountsAsAttempt: false);
        }

        if (attempts >= options.MaxAttempts)
            return new SendDecision.Fail(Exhausted(failure, attempts), result.Unknown);
        return new SendDecision.RetryAfter(Backoff(attempts, jitter), result.Unknown, CountsAsAttempt: true);
    }

    /// <summary>Exponential backoff with full jitter in its upper half: 1, 2, 4 ... times the base, at most the maximum.</summary>
    public TimeSpan Backoff(int attempt, double jitter)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ceiling = Math.Min(options.RetryMaxDelay.TotalMilliseconds, options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling / 2 + ceiling / 2 * Math.Clamp(jitter, 0, 1));
    }

    private static SendFailure Exhausted(SendFailure failure, int attempts) =>
        failure with { Message = $"{failure.Message} (gave up after {attempts} attempts)", Class = FailureClass.Transient };
}
