namespace SesWorker.SmtpSimulator;

/// <summary>Which transactions an injected fault applies to: those of one account (by username), to one recipient, or any.</summary>
public sealed record FaultTarget
{
    private FaultTarget(string? username, string? recipient)
    {
        Username = username;
        RecipientAddress = recipient;
    }

    public static FaultTarget Any { get; } = new(null, null);

    public string? Username { get; }

    public string? RecipientAddress { get; }

    public static FaultTarget Account(string username) => new(username ?? throw new ArgumentNullException(nameof(username)), null);

    public static FaultTarget Recipient(string address) => new(null, address ?? throw new ArgumentNullException(nameof(address)));

    internal bool Matches(string? username, IReadOnlyList<string> recipients) =>
        (Username is null || string.Equals(Username, username, StringComparison.OrdinalIgnoreCase)) &&
        (RecipientAddress is null || recipients.Contains(RecipientAddress, StringComparer.OrdinalIgnoreCase));
}
