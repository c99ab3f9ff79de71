namespace SesWorker.Contracts;

public sealed record EmailAddress
{
    public required string Address { get; init; }

    public string? Name { get; init; }

    /// <summary>"a@b" or "Name &lt;a@b&gt;" (the name may be quoted), read the way the worker reads a string address.</summary>
    public static EmailAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Reading.MailboxText.Parse(text);
    }
}
