using Microsoft.Extensions.Logging;

namespace SesWorker.SmtpSimulator;

internal static partial class SimulatorLog
{
    [LoggerMessage(1, LogLevel.Information, "SMTP simulator listening on {Host}:{Port}")]
    public static partial void Listening(ILogger logger, string host, int port);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, string connectionId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Connection {ConnectionId}: authentication failed for {Username}")]
    public static partial void AuthenticationFailed(ILogger logger, string connectionId, string username);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId}: accepted message {Sequence} for appId {AppId}")]
    public static partial void MessageAccepted(ILogger logger, string connectionId, long sequence, string appId);

    [LoggerMessage(5, LogLevel.Information, "Connection {ConnectionId}: refused transaction for appId {AppId}: {ReplyCode} {ErrorCode}")]
    public static partial void TransactionRefused(ILogger logger, string connectionId, string? appId, int replyCode, string? errorCode);

    [LoggerMessage(6, LogLevel.Information, "Refused a connection (injected fault)")]
    public static partial void ConnectionRefused(ILogger logger);

    [LoggerMessage(7, LogLevel.Warning, "Connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Reply latency: {Latency}")]
    public static partial void Latency(ILogger logger, string latency);

    [LoggerMessage(9, LogLevel.Information, "DATA content read at {BytesPerSecond} bytes/s")]
    public static partial void DataRate(ILogger logger, long bytesPerSecond);
}
