using System.Diagnostics;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// A reserved rate-limit slot for one send, in this process's monotonic clock (<see cref="Stopwatch"/> ticks):
/// the transaction starts at <see cref="StartAt"/> (MAIL FROM) and the content goes out at <see cref="ContentAt"/>,
/// the moment the provider counts the call.
/// </summary>
public sealed class SendSlot(string appId, long startAt, long contentAt)
{
    public string AppId { get; } = appId;

    public long StartAt { get; private set; } = startAt;

    public long ContentAt { get; private set; } = contentAt;

    /// <summary>When the content really went out.</summary>
    public long ContentSentAt { get; set; }

    /// <summary>A start too late to be used: the transaction waits for a fresh slot.</summary>
    public void MoveTo(long startAt, long contentAt) => (StartAt, ContentAt) = (startAt, contentAt);

    /// <summary>A late go-ahead moved the content to a fresh slot.</summary>
    public void MoveContentTo(long contentAt) => ContentAt = contentAt;

    public static long After(long timestamp, TimeSpan delay) => timestamp + (long)(delay.TotalSeconds * Stopwatch.Frequency);

    public static TimeSpan Until(long timestamp) => Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
}
