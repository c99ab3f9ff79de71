namespace SesWorker.Core.Sending;

/// <summary>
/// The one classification table. Provider codes not listed are permanent when the reply was 5xx and
/// transient when it was 4xx (see <see cref="Smtp.SmtpReply"/>): an unknown code is kept verbatim.
/// </summary>
public static class FailureClassifier
{
    private static readonly TimeSpan TemporaryBlock = TimeSpan.FromMinutes(10);

    private static readonly Dictionary<string, FailureClass> Table = new(StringComparer.Ordinal)
    {
        [ErrorCodes.SmtpRateLimit] = FailureClass.RateLimited,
        [ErrorCodes.RequestLimitExceeded] = FailureClass.RateLimited,
        [ErrorCodes.RecipientHourlyCap] = FailureClass.RateLimited,

        [ErrorCodes.EmailContentToolarge] = FailureClass.Oversize,
        [ErrorCodes.AttachContentToolarge] = FailureClass.Oversize,
        [ErrorCodes.TooManyAttachments] = FailureClass.Oversize,

        [ErrorCodes.InternalError] = FailureClass.Transient,
        [ErrorCodes.TemporaryBlocked] = FailureClass.Transient,
        // One recipient blocked (not the account's pace): transient, with a wait of its own (PauseFor).
        [ErrorCodes.FrequencyLimit] = FailureClass.Transient,
        [ErrorCodes.SendEmailErr] = FailureClass.Transient,
        [ErrorCodes.NetworkError] = FailureClass.Transient,
        [ErrorCodes.SmtpTransient] = FailureClass.Transient,
        // The daily quota: transient, but with a pause of its own (PauseFor).
        [ErrorCodes.ExceedSendLimit] = FailureClass.Transient,
    };

    public static FailureClass Classify(string code) =>
        Table.TryGetValue(code, out var failureClass) ? failureClass : FailureClass.Permanent;

    public static FailureClass Classify(string code, int smtpStatus) =>
        Table.TryGetValue(code, out var failureClass)
            ? failureClass
            : smtpStatus is >= 400 and < 500 ? FailureClass.Transient : FailureClass.Permanent;

    public static IReadOnlyDictionary<string, FailureClass> Entries => Table;

    /// <summary>
    /// The transient codes that carry their own wait, so retrying sooner only hammers the provider:
    /// <c>TemporaryBlocked</c> (the recipient's mail service is suspended for 10 minutes, per the SendEmail API
    /// reference) and
    /// <c>ExceedSendLimit</c> (the account's daily quota is spent until the provider's next day, per the SES FAQ) and
    /// <c>FrequencyLimit</c> (over 10 mails in an hour from the sender to one address, which the SES FAQ says is blocked
    /// until 00:00 the next day: the recipient's block, so neither the appId's pace nor the rest of its mail changes).
    /// Both waits for the next day are shorter in the first minutes of the provider's day (<see cref="ProviderDay.SpentUntil"/>).
    /// </summary>
    public static ProviderPause? PauseFor(string code, DateTimeOffset now) => code switch
    {
        ErrorCodes.ExceedSendLimit => new ProviderPause(ProviderDay.SpentUntil(now), WholeAccount: true),
        ErrorCodes.TemporaryBlocked => new ProviderPause(now + TemporaryBlock, WholeAccount: false),
        ErrorCodes.FrequencyLimit => new ProviderPause(ProviderDay.SpentUntil(now), WholeAccount: false),
        _ => null,
    };
}
