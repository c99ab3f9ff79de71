namespace SesWorker.Persistence.History;

/// <summary>received -> sending -> sent | failed | dead_lettered | unknown; retrying and deferred loop back to sending.</summary>
public static class EmailStatus
{
    public const string Received = "received";
    public const string Sending = "sending";
    public const string Retrying = "retrying";
    public const string Deferred = "deferred";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string DeadLettered = "dead_lettered";
    public const string Unknown = "unknown";

    public static bool IsTerminal(string status) => status is Sent or Failed or DeadLettered;
}
