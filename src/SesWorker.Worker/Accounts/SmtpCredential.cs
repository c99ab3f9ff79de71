namespace SesWorker.Worker.Accounts;

/// <summary>One pooled identity: an endpoint and a sender's login. The password never appears in ToString or logs.</summary>
public sealed record SmtpCredential(string AppId, string Host, int Port, string Username)
{
    internal string Password { get; init; } = string.Empty;

    public override string ToString() => $"{Username}@{Host}:{Port} (appId {AppId})";
}
