namespace SesWorker.Worker.Accounts;

/// <summary>
/// A sender address with its own SMTP password (the provider sets passwords per sender: the UpdateEmailSmtpPassWord
/// API reference).
/// </summary>
public sealed class SesSenderOptions
{
    public string Address { get; set; } = string.Empty;

    public string? PasswordFile { get; set; }

    public string? PasswordEnvironmentVariable { get; set; }
}
