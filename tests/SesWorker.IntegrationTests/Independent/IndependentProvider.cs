using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Independent;

/// <summary>
/// The provider played by a server that shares no code with the worker: <c>independent_provider.py</c> next to this
/// file (Debian's aiosmtpd, Python's ssl and email packages) as a process of its own, over implicit TLS with a
/// certificate made here, AUTH per sender address, each reply a round trip away. What it counted and how Python's
/// parser reads the messages it kept are the test's evidence.
/// </summary>
internal sealed class IndependentProvider : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Process _process;
    private readonly string _directory;

    private IndependentProvider(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The certificate the worker pins (PEM).</summary>
    public string CertificateFile => Path.Combine(_directory, "provider.pem");

    private string OutDirectory => Path.Combine(_directory, "out");

    /// <param name="accounts">Sender address and password of every account it accepts.</param>
    /// <param name="latency">Each reply to MAIL FROM, RCPT TO and the end of DATA after this, plus or minus <paramref name="jitter"/>.</param>
    public static async Task<IndependentProvider> StartAsync(
        string workDirectory, IReadOnlyDictionary<string, string> accounts, TimeSpan latency, TimeSpan jitter)
    {
        var directory = Path.Combine(workDirectory, $"independent-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(directory, "provider.pem"), certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(directory, "provider.key"), key.ExportPkcs8PrivateKeyPem());
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "accounts.json"),
            JsonSerializer.Serialize(accounts.Select(a => new { user = a.Key, password = a.Value })));

        var port = ExternalServices.FreePort();
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Script, "serve", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--cert", Path.Combine(directory, "provider.pem"), "--key", Path.Combine(directory, "provider.key"),
            "--accounts", Path.Combine(directory, "accounts.json"),
            "--latency-ms", latency.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
            "--jitter-ms", jitter.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
            "--out", Path.Combine(directory, "out"),
        })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        // Drained from the start, so that the pipe never fills; read only once the process has ended.
        var errors = process.StandardError.ReadToEndAsync();
        var provider = new IndependentProvider(process, directory, port);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var ready = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (ready is null)
                throw new InvalidOperationException($"independent_provider.py exited: {await errors}");
            if (ready != $"ready {port}")
                throw new InvalidOperationException($"independent_provider.py said '{ready}' instead of 'ready {port}'");
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }

        return provider;
    }

    /// <summary>Every transaction it accepted so far, in the order their ends of DATA arrived.</summary>
    public IReadOnlyList<ProviderTransaction> Transactions()
    {
        var log = Path.Combine(OutDirectory, "transactions.jsonl");
        if (!File.Exists(log))
            return [];
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var transactions = new List<ProviderTransaction>();
        while (reader.ReadLine() is { } line)
        {
            // A line still being written has no end yet.
            if (line.EndsWith('}'))
                transactions.Add(JsonSerializer.Deserialize<ProviderTransaction>(line, Json)!);
        }

        return [.. transactions.OrderBy(t => t.EndOfDataAt)];
    }

    /// <summary>Waits until <paramref name="count"/> transactions of <paramref name="user"/> were accepted.</summary>
    public async Task WaitForTransactionsAsync(string user, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Transactions().Count(t => t.User == user) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Transactions().Count(t => t.User == user)} of {count} transactions of {user} within {timeout}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Every message it kept, as Python's email package (policy.default) reads it.</summary>
    public async Task<IReadOnlyList<ParsedMessage>> InspectAsync()
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var argument in new[] { Script, "inspect", "--out", OutDirectory })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"independent_provider.py inspect exited with {process.ExitCode}: {await errors}");
        return [.. (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<ParsedMessage>(line, Json)!)];
    }

    public async ValueTask DisposeAsync()
    {
        await _process.TerminateAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private static string Script => Path.Combine(WorkerProcess.RepositoryRoot(), "tests", "SesWorker.IntegrationTests", "Independent", "independent_provider.py");

}
