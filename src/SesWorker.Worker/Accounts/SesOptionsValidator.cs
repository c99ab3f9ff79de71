using Microsoft.Extensions.Options;

namespace SesWorker.Worker.Accounts;

/// <summary>Fails the start with every configuration problem listed, instead of failing the first send.</summary>
internal sealed class SesOptionsValidator : IValidateOptions<SesOptions>
{
    public ValidateOptionsResult Validate(string? name, SesOptions options)
    {
        var errors = new List<string>();
        if (options.Accounts.Count == 0)
            errors.Add("Ses:Accounts is empty: configure at least one account (AppId, Region or Host, Senders).");

        foreach (var (account, index) in options.Accounts.Select((a, i) => (a, i)))
        {
            var where = $"Ses:Accounts:{index}";
            if (string.IsNullOrWhiteSpace(account.AppId))
                errors.Add($"{where}:AppId is required.");
            if (account.Region is null == string.IsNullOrWhiteSpace(account.Host))
                errors.Add($"{where} (AppId {account.AppId}): set exactly one of Region (HongKong, Guangzhou, International) or Host.");
            if (account.Port is < 1 or > 65535)
                errors.Add($"{where}:Port {account.Port} is not a TCP port (the provider listens on 465 only).");
            if (account.Senders.Count == 0)
                errors.Add($"{where} (AppId {account.AppId}): Senders is empty.");

            foreach (var (sender, senderIndex) in account.Senders.Select((s, i) => (s, i)))
            {
                var senderWhere = $"{where}:Senders:{senderIndex}";
                if (!sender.Address.Contains('@', StringComparison.Ordinal))
                    errors.Add($"{senderWhere}:Address '{sender.Address}' is not an email address.");
                var hasFile = !string.IsNullOrWhiteSpace(sender.PasswordFile);
                var hasVariable = !string.IsNullOrWhiteSpace(sender.PasswordEnvironmentVariable);
                if (hasFile == hasVariable)
                    errors.Add($"{senderWhere} ({sender.Address}): set exactly one of PasswordFile or PasswordEnvironmentVariable.");
                // The value is named only where it cannot be the password itself put in the wrong key: an absolute path.
                // Never a variable's name: a password of letters and digits has that shape. This message reaches the logs
                // and /health/ready.
                else if (hasFile && !File.Exists(sender.PasswordFile) && !Directory.Exists(sender.PasswordFile))
                    errors.Add(Path.IsPathFullyQualified(sender.PasswordFile!)
                        ? $"{senderWhere} ({sender.Address}): PasswordFile '{sender.PasswordFile}' does not exist."
                        : $"{senderWhere} ({sender.Address}): PasswordFile does not exist (not shown: it is not an absolute path; the key holds the file's path, not the password).");
                else if (hasFile && Unreadable(sender.PasswordFile!) is { } reason)
                    errors.Add(Path.IsPathFullyQualified(sender.PasswordFile!)
                        ? $"{senderWhere} ({sender.Address}): PasswordFile '{sender.PasswordFile}' is not readable by this process ({ProcessUser()}): {reason}."
                        : $"{senderWhere} ({sender.Address}): PasswordFile is not readable by this process ({ProcessUser()}): {reason} (the path not shown: it is not an absolute path).");
                else if (hasVariable && !IsVariableName(sender.PasswordEnvironmentVariable!))
                    errors.Add($"{senderWhere} ({sender.Address}): PasswordEnvironmentVariable is not a variable's name (not shown: the key holds the name of the variable that holds the password).");
                else if (hasVariable && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(sender.PasswordEnvironmentVariable!)))
                    errors.Add($"{senderWhere} ({sender.Address}): the environment variable PasswordEnvironmentVariable names is not set (its name not shown: a password put in that key would be).");
            }
        }

        var duplicates = options.Accounts.GroupBy(a => a.AppId, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key);
        errors.AddRange(duplicates.Select(d => $"AppId {d} is configured more than once."));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Why the password file cannot be read, or null. Opened, not just looked up: a compose secret is bind-mounted with
    /// the host file's owner and mode, so one the worker's user (uid 1654) may not read exists all the same, and
    /// AccountRegistry's read then threw UnauthorizedAccessException out of the host's start. Nothing is read, so the
    /// content cannot reach a message; the reason names no path either (a relative one may be a password).
    /// </summary>
    private static string? Unreadable(string path)
    {
        // A directory fails to open the way a file of mode 0600 and another owner does (UnauthorizedAccessException), so
        // the tests, which run as root and read any file, reach this path with one.
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return Directory.Exists(path) ? "it is a directory, not a file" : "permission denied (its owner and mode do not let this user read it)";
        }
        catch (IOException exception)
        {
            return Directory.Exists(path) ? "it is a directory, not a file" : $"{exception.GetType().Name} (HResult 0x{exception.HResult:X8})";
        }
    }

    /// <summary>The uid this process runs as (Linux, from /proc), else the user's name: what the file's owner and mode must allow.</summary>
    private static string ProcessUser()
    {
        try
        {
            var uid = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal))?
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2);
            if (uid is not null)
                return $"uid {uid}";
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return $"user {Environment.UserName}";
    }

    private static bool IsVariableName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
