namespace SesWorker.SmtpSimulator.Latency;

/// <summary>The replies whose delay can be set on their own (<see cref="ReplyLatencies"/>); AUTH covers its continuation lines too.</summary>
public enum SmtpReply
{
    Greeting,
    Ehlo,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    EndOfData,
    Rset,
    Noop,
    Quit,
}
