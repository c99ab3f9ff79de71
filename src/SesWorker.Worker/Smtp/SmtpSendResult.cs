using SesWorker.Core.Sending;
using SesWorker.Core.Smtp;

namespace SesWorker.Worker.Smtp;

/// <summary>
/// What one SMTP transaction ended in. <see cref="Failure"/> is null when the provider accepted the message.
/// <see cref="Unknown"/> is set when the connection died after DATA began: the provider may have the message.
/// <see cref="NotSent"/> is set when no transaction began (connect, TLS or AUTH failed).
/// </summary>
public sealed record SmtpSendResult(SmtpReply? Reply, SendFailure? Failure, bool Unknown = false, bool NotSent = false)
{
    public bool Accepted => Failure is null;

    public SendResult ToSendResult() => new(Failure, Unknown, NotSent);
}
