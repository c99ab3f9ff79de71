namespace SesWorker.SmtpSimulator;

/// <summary>
/// One MAIL transaction that reached the end of DATA or was refused. <paramref name="ReplyCode"/> is 0 when the
/// connection was closed instead of replying (oversize DATA, injected drop).
/// </summary>
public sealed record SmtpTransaction(
    long Sequence,
    string? AppId,
    string? AuthenticatedUser,
    string? MailFrom,
    IReadOnlyList<string> RcptTo,
    DateTimeOffset At,
    bool Accepted,
    int ReplyCode,
    string ReplyText,
    string? ErrorCode,
    string ConnectionId);
