namespace SesWorker.SmtpSimulator;

/// <summary>
/// An SMTP credential. The provider issues SMTP passwords per sender address (the UpdateEmailSmtpPassWord API
/// reference), so the username is that address.
/// </summary>
public sealed class SimulatorAccount
{
    public required string AppId { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }
}
