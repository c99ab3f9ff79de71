namespace SesWorker.Worker.Limiting;

/// <summary>A message held longer than RateLimiting:MaxHold without a slot: handed back to the broker's retry.</summary>
public sealed class RateLimitBacklogException(string appId, TimeSpan held)
    : Exception($"No rate-limit slot for appId {appId} after {held}; the message is retried.")
{
    public string AppId { get; } = appId;
}
