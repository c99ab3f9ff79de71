namespace SesWorker.Core.Sending;

/// <summary>
/// The provider's codes (SES SMTP error codes and the SendEmail API reference) plus the few the worker needs for
/// failures the provider never sees.
/// Codes from replies are stored verbatim even when they are not listed here.
/// </summary>
public static class ErrorCodes
{
    public const string FailedOperation = "FailedOperation";
    public const string AttachContentToolarge = "FailedOperation.AttachContentToolarge";
    public const string EmailAddrInBlacklist = "FailedOperation.EmailAddrInBlacklist";
    public const string EmailContentToolarge = "FailedOperation.EmailContentToolarge";
    public const string ExceedSendLimit = "FailedOperation.ExceedSendLimit";
    public const string FrequencyLimit = "FailedOperation.FrequencyLimit";
    public const string HighRejectionRate = "FailedOperation.HighRejectionRate";
    public const string IncorrectEmail = "FailedOperation.IncorrectEmail";
    public const string IncorrectSender = "FailedOperation.IncorrectSender";
    public const string InsufficientBalance = "FailedOperation.InsufficientBalance";
    public const string InsufficientQuota = "FailedOperation.InsufficientQuota";
    public const string InvalidAttachName = "FailedOperation.InvalidAttachName";
    public const string MissingEmailContent = "FailedOperation.MissingEmailContent";
    public const string NotAuthenticatedSender = "FailedOperation.NotAuthenticatedSender";
    public const string ReceiverHasUnsubscribed = "FailedOperation.ReceiverHasUnsubscribed";
    public const string RejectedByRecipients = "FailedOperation.RejectedByRecipients";
    public const string SendEmailErr = "FailedOperation.SendEmailErr";
    public const string SmtpForbidden = "FailedOperation.SMTPForbidden";
    public const string TemporaryBlocked = "FailedOperation.TemporaryBlocked";
    public const string TooManyAttachments = "FailedOperation.TooManyAttachments";
    public const string TooManyRecipients = "FailedOperation.TooManyRecipients";
    public const string UnsupportMailType = "FailedOperation.UnsupportMailType";
    public const string InternalError = "InternalError";
    public const string InvalidParameter = "InvalidParameter";
    public const string InvalidParameterValue = "InvalidParameterValue";
    public const string AttachContentIsWrong = "InvalidParameterValue.AttachContentIsWrong";
    public const string EmailAddressIsNull = "InvalidParameterValue.EmailAddressIsNULL";
    public const string EmailContentIsWrong = "InvalidParameterValue.EmailContentIsWrong";
    public const string ReceiverEmailInvalid = "InvalidParameterValue.ReceiverEmailInvalid";
    public const string LimitExceeded = "LimitExceeded";
    public const string MissingParameter = "MissingParameter";
    public const string OperationDenied = "OperationDenied";
    public const string RequestLimitExceeded = "RequestLimitExceeded";
    public const string SmtpRateLimit = "RequestLimitExceeded.SmtpRateLimit";

    // The provider's plain system errors (no JSON): a line of 2000+ characters, a connection cut mid-DATA.
    public const string LineTooLong = "Smtp.LineTooLong";

    // The worker's own codes, for failures that never reach (or never hear from) the provider.
    public const string UnknownAccount = "SesWorker.UnknownAccount";
    public const string UnknownSender = "SesWorker.UnknownSender";
    public const string AuthenticationFailed = "SesWorker.AuthenticationFailed";
    public const string NetworkError = "SesWorker.NetworkError";
    public const string SmtpTransient = "SesWorker.SmtpTransient";
    public const string SmtpPermanent = "SesWorker.SmtpPermanent";
    public const string RecipientHourlyCap = "SesWorker.RecipientHourlyCap";

    /// <summary>The worker that held the email died (or stalled past the takeover time) during the SMTP transaction.</summary>
    public const string OwnerLost = "SesWorker.OwnerLost";

    /// <summary>Another worker is sending this emailId right now: the copy waits for that worker to finish or die.</summary>
    public const string HeldElsewhere = "SesWorker.HeldElsewhere";

    /// <summary>The email id was read but the message was not (a field of the wrong shape, JSON cut short): see SendEmailReader.</summary>
    public const string MalformedMessage = SesWorker.Contracts.Reading.SendEmailReadCodes.MalformedMessage;
}
