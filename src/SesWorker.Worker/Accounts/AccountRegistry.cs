using Microsoft.Extensions.Options;

namespace SesWorker.Worker.Accounts;

/// <summary>Resolves appId + sender address to the credential to log in with. Passwords are read once, at start.</summary>
public sealed class AccountRegistry
{
    private readonly Dictionary<(string AppId, string Sender), SmtpCredential> _credentials = new();
    private readonly HashSet<string> _appIds = new(StringComparer.Ordinal);

    public AccountRegistry(IOptions<SesOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var account in options.Value.Accounts)
        {
            _appIds.Add(account.AppId);
            foreach (var sender in account.Senders)
            {
                var password = sender.PasswordFile is { Length: > 0 } file
                    ? File.ReadAllText(file).TrimEnd('\r', '\n')
                    : Environment.GetEnvironmentVariable(sender.PasswordEnvironmentVariable!) ?? string.Empty;
                var key = (account.AppId, sender.Address.Trim().ToUpperInvariant());
                _credentials[key] = new SmtpCredential(account.AppId, account.ResolveHost(), account.Port, sender.Address.Trim()) { Password = password };
            }
        }
    }

    public bool HasAccount(string appId) => _appIds.Contains(appId);

    public SmtpCredential? Find(string appId, string senderAddress) =>
        _credentials.GetValueOrDefault((appId, senderAddress.Trim().ToUpperInvariant()));
}
