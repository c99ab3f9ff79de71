namespace SesWorker.Contracts.Reading;

/// <summary>
/// "a@b" or "Name &lt;a@b&gt;" (the forms the provider's own API and most mail libraries take) as an address and a
/// display name. Only the shape is read here; whether the address is valid is the provider rules' question.
/// </summary>
internal static class MailboxText
{
    public static EmailAddress Parse(string text)
    {
        var trimmed = text.Trim();
        var open = trimmed.LastIndexOf('<');
        if (open < 0 || !trimmed.EndsWith('>'))
            return new EmailAddress { Address = trimmed };

        var address = trimmed[(open + 1)..^1].Trim();
        var name = trimmed[..open].Trim();
        if (name.Length >= 2 && name[0] == '"' && name[^1] == '"')
            name = name[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal);
        return new EmailAddress { Address = address, Name = name.Length == 0 ? null : name };
    }
}
