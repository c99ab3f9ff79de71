using System.Globalization;
using System.Security.Cryptography;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// N provider accounts, one sender each: the workers' are appId <c>100000+i</c>, sender <c>sender{i}@bench.example</c>;
/// the naive sender's appId <c>900000+i</c>, sender <c>naive{i}@bench.example</c>.
/// </summary>
internal sealed record BenchAccount(string AppId, string Sender, string Password, string PasswordFile);

internal static class BenchAccounts
{
    /// <summary>Writes one password file per sender (mode 600) into <paramref name="secretsDirectory"/>.</summary>
    public static IReadOnlyList<BenchAccount> Create(int count, string secretsDirectory, int firstAppId = 100_000, string senderName = "sender")
    {
        Directory.CreateDirectory(secretsDirectory);
        var accounts = new List<BenchAccount>(count);
        for (var i = 0; i < count; i++)
        {
            var sender = string.Create(CultureInfo.InvariantCulture, $"{senderName}{i}@bench.example");
            var file = Path.Combine(secretsDirectory, sender);
            var password = RandomNumberGenerator.GetHexString(24, lowercase: true);
            File.WriteAllText(file, password);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            accounts.Add(new BenchAccount((firstAppId + i).ToString(CultureInfo.InvariantCulture), sender, password, file));
        }

        return accounts;
    }

    public static SimulatorOptions SimulatorOptions(IReadOnlyList<BenchAccount> accounts, BenchSettings settings)
    {
        var options = new SimulatorOptions
        {
            RatePerSecondPerAppId = settings.SimulatorRate,
            // With the worker's cap off the simulator's must go too, or it would refuse what the worker never held back.
            PerRecipientPerHour = settings.RecipientCap ? 10 : 0,
        };
        settings.ApplyLatency(options.Latency);
        foreach (var account in accounts)
            options.Accounts.Add(new SimulatorAccount { AppId = account.AppId, Username = account.Sender, Password = account.Password });
        return options;
    }

    /// <summary>The worker's configuration, as environment variables (how a container would get it).</summary>
    public static Dictionary<string, string> WorkerEnvironment(
        IReadOnlyList<BenchAccount> accounts, int simulatorPort, string certificateFile, BenchSettings settings)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__SesWorker.Worker.Limiting.MetricsSummary"] = "Information",
            ["Ses__Smtp__TrustedCertificateFile"] = certificateFile,
            ["Ses__RateLimiting__RecipientCapEnabled"] = settings.RecipientCap ? "true" : "false",
        };
        if (settings.Concurrency is { } concurrency)
            environment["Worker__ConcurrentMessageLimit"] = concurrency.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < accounts.Count; i++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"Ses__Accounts__{i}__");
            environment[prefix + "AppId"] = accounts[i].AppId;
            environment[prefix + "Host"] = "127.0.0.1";
            environment[prefix + "Port"] = simulatorPort.ToString(CultureInfo.InvariantCulture);
            environment[prefix + "Senders__0__Address"] = accounts[i].Sender;
            environment[prefix + "Senders__0__PasswordFile"] = accounts[i].PasswordFile;
        }

        foreach (var (key, value) in settings.WorkerEnvironment)
            environment[key] = value;

        return environment;
    }
}
