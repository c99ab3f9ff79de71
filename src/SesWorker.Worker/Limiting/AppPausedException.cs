namespace SesWorker.Worker.Limiting;

/// <summary>The appId is paused (its daily quota is spent): the message is deferred, not sent and not failed.</summary>
public sealed class AppPausedException(string appId, DateTimeOffset until)
    : Exception($"AppId {appId} is paused until {until:O}.")
{
    public string AppId { get; } = appId;

    public DateTimeOffset Until { get; } = until;
}
