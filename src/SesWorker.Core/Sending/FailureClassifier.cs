namespace SesWorker.Core.Sending;

/// <summary>
/// The one classification table. Provider codes not listed are permanent when the reply was 5xx and
/// transient when it was 4xx (see <see cref="Smtp.SmtpReply"/>): an unknown code is kept verbatim.
/// </summary>
public static class FailureClassifier
{
    private static readonly Dictionary<string, FailureClass> Table = new(StringComparer.Ordinal)
    {
        [ErrorCodes.SmtpRateLimit] = FailureClass.RateLimited,
        [ErrorCodes.RequestLimitExceeded] = FailureClass.RateLimited,
        [ErrorCodes.FrequencyLimit] = FailureClass.RateLimited,
        [ErrorCodes.RecipientHourlyCap] = FailureClass.RateLimited,

        [ErrorCodes.EmailContentToolarge] = FailureClass.Oversize,
        [ErrorCodes.AttachContentToolarge] = FailureClass.Oversize,
        [ErrorCodes.TooManyAttachments] = FailureClass.Oversize,

        [ErrorCodes.InternalError] = FailureClass.Transient,
        [ErrorCodes.TemporaryBlocked] = FailureClass.Transient,
        [ErrorCodes.SendEmailErr] = FailureClass.Transient,
        [ErrorCodes.NetworkError] = FailureClass.Transient,
        [ErrorCodes.SmtpTransient] = FailureClass.Transient,
        // The daily quota: transient, but the worker pauses the appId until the provider's day rolls over.
        [ErrorCodes.ExceedSendLimit] = FailureClass.Transient,
    };

    public static FailureClass Classify(string code) =>
        Table.TryGetValue(code, out var failureClass) ? failureClass : FailureClass.Permanent;

    public static FailureClass Classify(string code, int smtpStatus) =>
        Table.TryGetValue(code, out var failureClass)
            ? failureClass
            : smtpStatus is >= 400 and < 500 ? FailureClass.Transient : FailureClass.Permanent;

    public static IReadOnlyDictionary<string, FailureClass> Entries => Table;
}
