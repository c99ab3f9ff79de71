using System.Diagnostics;
using MailKit.Net.Smtp;
using MailKit.Security;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// The baseline of the throughput target's multiple (the workers must send at least 5x as fast as a sender that opens
/// a new TLS connection per message): a loop that sends one message at a time, each on a connection of its own
/// (implicit TLS with the simulator's certificate pinned as the workers pin it, AUTH, the message composed as the
/// worker composes the benchmark's, QUIT), and keeps no record; what the simulator accepted is what is counted.
/// </summary>
internal static class NaiveSender
{
    /// <summary>
    /// Accounts of its own, used round-robin: the simulator's 20/s per appId then binds only past 1,000 sends/s, where
    /// one appId would hold a naive sender at localhost speed to 20/s and flatter the workers' multiple.
    /// </summary>
    public const int AppIds = 50;

    public const int FirstAppId = 900_000;

    public static async Task<NaiveFigures> RunAsync(
        SmtpSimulatorServer simulator, IReadOnlyList<BenchAccount> accounts, string runId, BenchSettings settings, string database, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(accounts);
        ArgumentNullException.ThrowIfNull(settings);
        var budget = settings.Naive;
        var composer = new MimeComposer(TimeProvider.System);
        var pinned = simulator.Certificate.GetCertHash();

        // Outside the measurement: the first connection pays the JIT of MailKit and the TLS stack, once per script.
        await SendAsync(simulator.Port, pinned, composer, accounts[0], BenchMessages.One(accounts[0], 0, $"{runId}-naive-warmup"), ct);

        var tag = $"{runId}-naive";
        var durations = new List<double>();
        var loadAtStart = MachineLoad.Take(database);
        var clock = Stopwatch.StartNew();
        while ((budget.Messages is not { } messages || durations.Count < messages) && clock.Elapsed < budget.Duration)
        {
            var account = accounts[durations.Count % accounts.Count];
            var started = clock.Elapsed;
            await SendAsync(simulator.Port, pinned, composer, account, BenchMessages.One(account, durations.Count, tag), ct);
            durations.Add((clock.Elapsed - started).TotalMilliseconds);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var load = MachineLoad.Between(loadAtStart, MachineLoad.Take(database), workersCpuMs: 0);

        var ours = BenchMessages.Of(tag, simulator.Transactions);
        var accepted = ours.Count(t => t.Accepted);
        var refusals = ours.Where(t => !t.Accepted).ToList();
        var sorted = durations.Order().ToArray();
        return new NaiveFigures(
            budget.ToString(),
            settings.ApplyLatency(new()).ToString(),
            accounts.Count,
            durations.Count,
            accepted,
            refusals.Count(t => t.ErrorCode == Analysis.ThrottledCode),
            refusals.Where(t => t.ErrorCode != Analysis.ThrottledCode)
                .GroupBy(t => t.ErrorCode ?? $"{t.ReplyCode} {t.ReplyText}")
                .ToDictionary(g => g.Key, g => g.Count()),
            ours.Select(t => t.ConnectionId).Distinct(StringComparer.Ordinal).Count(),
            accounts.Max(a => simulator.MaxTransactionsInAnyWindow(a.AppId, TimeSpan.FromSeconds(1))),
            seconds,
            seconds > 0 ? accepted / seconds : 0,
            Analysis.Percentile(sorted, 0.50),
            Analysis.Percentile(sorted, 0.99),
            load);
    }

    private static async Task SendAsync(int port, byte[] pinned, MimeComposer composer, BenchAccount account, SendEmail email, CancellationToken ct)
    {
        var message = composer.Compose(email).Message;
        using var client = new SmtpClient
        {
            CheckCertificateRevocation = false,
            ServerCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHash().AsSpan().SequenceEqual(pinned),
        };
        await client.ConnectAsync("127.0.0.1", port, SecureSocketOptions.SslOnConnect, ct);
        await client.AuthenticateAsync(account.Sender, account.Password, ct);
        try
        {
            await client.SendAsync(MimeComposer.WireFormat, message, ct);
        }
        catch (SmtpCommandException)
        {
            // A refusal is the simulator's to count (it is in its log); a script with nothing to record goes on.
        }

        await client.DisconnectAsync(quit: true, ct);
    }
}
