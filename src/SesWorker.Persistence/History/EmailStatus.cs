namespace SesWorker.Persistence.History;

/// <summary>
/// The one vocabulary of email states, as stored: received -> sending -> sent | failed | dead_lettered, with
/// retrying, deferred and unknown looping back to sending. SQL statements are built from these constants.
/// </summary>
public static class EmailStatus
{
    /// <summary>Rows written before the claim was made at first sight; a worker claims them like a retry.</summary>
    public const string Received = "received";
    public const string Sending = "sending";
    public const string Retrying = "retrying";
    public const string Deferred = "deferred";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string DeadLettered = "dead_lettered";
    public const string Unknown = "unknown";

    /// <summary>States a worker may claim an email from (dead_lettered only for a redriven copy).</summary>
    public static IReadOnlyList<string> Claimable { get; } = [Received, Retrying, Deferred, Unknown];

    public static IReadOnlyList<string> Terminal { get; } = [Sent, Failed, DeadLettered];

    public static bool IsTerminal(string status) => status is Sent or Failed or DeadLettered;

    /// <summary>A SQL list literal, e.g. <c>('sent','failed')</c>, built from constants (never from input).</summary>
    public static string SqlList(IEnumerable<string> statuses) => $"({string.Join(',', statuses.Select(s => $"'{s}'"))})";
}
