namespace SesWorker.SmtpSimulator;

/// <summary>An accepted message. <paramref name="Data"/> holds the DATA bytes after dot-unstuffing, lines ending in CRLF.</summary>
public sealed record ReceivedMessage(
    long Sequence,
    string AppId,
    string AuthenticatedUser,
    string MailFrom,
    IReadOnlyList<string> RcptTo,
#pragma warning disable CA1819 // The raw bytes are the point of the record: tests assert on exactly what arrived.
    byte[] Data,
#pragma warning restore CA1819
    DateTimeOffset ReceivedAt,
    string ConnectionId);
