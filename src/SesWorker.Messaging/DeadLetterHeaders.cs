namespace SesWorker.Messaging;

/// <summary>Headers on every dead-lettered message, so an operator sees why without opening the database.</summary>
public static class DeadLetterHeaders
{
    public const string Reason = "sesworker-reason";
    public const string Code = "sesworker-code";
    public const string ProviderMessage = "sesworker-message";
    public const string Attempts = "sesworker-attempts";
    public const string FirstFailure = "sesworker-first-failure";
    public const string LastFailure = "sesworker-last-failure";
    public const string Cycles = "sesworker-cycles";
    public const string AppId = "sesworker-app-id";
    public const string EmailId = "sesworker-email-id";
    public const string DeferredUntil = "sesworker-deferred-until";

    /// <summary>Values of <see cref="Reason"/>.</summary>
    public const string ReasonOversize = "oversize";
    public const string ReasonRateLimited = "rate_limited";
    public const string ReasonDeferred = "deferred";

    /// <summary>Set by the operator CLI's redrive: the email may leave dead_lettered and be sent again.</summary>
    public const string Redriven = "sesworker-redriven";

    /// <summary>
    /// On a copy parked in the held queue's wait: the broker had delivered it (or a copy it came from) before. A parked
    /// copy is a new message to the broker, so its own redelivered flag is false when it comes back.
    /// </summary>
    public const string Redelivered = "sesworker-redelivered";
}
