namespace SesWorker.Worker.Accounts;

/// <summary>Accounts (appIds), their endpoint, and their sender addresses. Passwords come from files or environment variables only.</summary>
public sealed class SesOptions
{
    public const string SectionName = "Ses";

    public List<SesAccountOptions> Accounts { get; set; } = [];
}
