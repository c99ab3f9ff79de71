using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SesWorker.SmtpSimulator.Counting;
using SesWorker.SmtpSimulator.Latency;
using SesWorker.SmtpSimulator.Rules;
using SesWorker.SmtpSimulator.Smtp;

namespace SesWorker.SmtpSimulator;

/// <summary>
/// An SMTP server that behaves like Tencent Cloud SES's SMTP endpoint (implicit TLS, AUTH, the provider's limits and
/// reply formats). It is the independent referee of the worker: its rules are written from the provider's documents
/// and share no code with the worker.
/// </summary>
public sealed class SmtpSimulatorServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions EnvelopeJson = new() { WriteIndented = true };

    private readonly SimulatorOptions options;
    private readonly ILogger logger;
    private readonly TcpListener listener;
    private readonly SslStreamCertificateContext certificateContext;
    private readonly Dictionary<string, SimulatorAccount> accounts;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<long, Task> sessions = new();
    private readonly Lock gate = new();
    private readonly List<ReceivedMessage> messages = [];
    private readonly List<SmtpTransaction> transactions = [];
    private readonly TrafficLimits limits;
    private readonly Lock latencyGate = new();
    private readonly Random latencyRandom;
    private long endOfDataReplies;
    private TaskCompletionSource messageAdded = NewSignal();
    private long messageSequence;
    private long transactionSequence;
    private long connectionSequence;
    private Task acceptLoop = Task.CompletedTask;

    private SmtpSimulatorServer(SimulatorOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<SmtpSimulatorServer>();
        accounts = options.Accounts.ToDictionary(a => a.Username, StringComparer.OrdinalIgnoreCase);
        Certificate = SelfSignedCertificate.Create();
        certificateContext = SslStreamCertificateContext.Create(Certificate, additionalCertificates: null, offline: true);
        listener = new TcpListener(IPAddress.Parse(options.Host), options.Port);
        limits = new TrafficLimits(options);
        Faults = new SimulatorFaults(options.TimeProvider);
        Counts = new ProviderCounts(options.MaxRetainedTransactions);
        latencyRandom = options.Latency.Seed is { } seed ? new Random(seed) : new Random();
    }

    public int Port { get; private set; }

    /// <summary>Self-signed (CN=localhost, SAN localhost, 127.0.0.1, ::1), generated at start; clients pin it.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Accepted messages in arrival order (a snapshot).</summary>
    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (gate)
            {
                return messages.ToArray();
            }
        }
    }

    /// <summary>Every transaction that reached the end of DATA or was refused, accepted or not (a snapshot).</summary>
    public IReadOnlyList<SmtpTransaction> Transactions
    {
        get
        {
            lock (gate)
            {
                return transactions.ToArray();
            }
        }
    }

    /// <summary>Faults to inject at runtime; cleared by <see cref="Reset"/>.</summary>
    public SimulatorFaults Faults { get; }

    /// <summary>Per appId, when each MAIL FROM was accepted and each end of DATA arrived; cleared by <see cref="Reset"/>.</summary>
    public ProviderCounts Counts { get; }

    internal SimulatorOptions Options => options;

    internal const string ServerName = "localhost";

    public static Task<SmtpSimulatorServer> StartAsync(
        SimulatorOptions options,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var server = new SmtpSimulatorServer(options, loggerFactory ?? NullLoggerFactory.Instance);
        server.listener.Start(backlog: 512);
        server.Port = ((IPEndPoint)server.listener.LocalEndpoint).Port;
        server.acceptLoop = Task.Run(server.AcceptLoopAsync, CancellationToken.None);
        SimulatorLog.Listening(server.logger, options.Host, server.Port);
        if (!options.Latency.IsZero)
        {
            SimulatorLog.Latency(server.logger, options.Latency.ToString());
        }

        if (options.DataBytesPerSecond > 0)
        {
            SimulatorLog.DataRate(server.logger, options.DataBytesPerSecond);
        }
        return Task.FromResult(server);
    }

    public string ExportCertificatePem() => Certificate.ExportCertificatePem();

    /// <summary>Returns once at least <paramref name="count"/> messages were accepted; throws <see cref="TimeoutException"/> otherwise.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> WaitForMessagesAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task signal;
            lock (gate)
            {
                if (messages.Count >= count)
                {
                    return messages.ToArray();
                }

                signal = messageAdded.Task;
            }

            try
            {
                await signal.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Expected {count} messages within {timeout}, received {Messages.Count}.");
            }
        }
    }

    /// <summary>
    /// Clears messages, transactions, counts, rate windows and faults, and restarts the count of end-of-DATA replies
    /// for <see cref="ReplyLatencies.HoldEveryNthEndOfData"/>. Sequence numbers keep counting.
    /// </summary>
    public void Reset()
    {
        lock (gate)
        {
            messages.Clear();
            transactions.Clear();
        }

        limits.Clear();
        Faults.Clear();
        Counts.Clear();
        Interlocked.Exchange(ref endOfDataReplies, 0);
    }

    /// <summary>
    /// The largest number of accepted transactions of <paramref name="appId"/> inside any window of length
    /// <paramref name="window"/> (half-open, like the limiter's), over the retained history.
    /// </summary>
    public int MaxTransactionsInAnyWindow(string appId, TimeSpan window)
    {
        var times = Transactions.Where(t => t.Accepted && t.AppId == appId).Select(t => t.At).Order().ToArray();
        return ProviderCounts.MaxInAnyWindow(times, window);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await acceptLoop;
        try
        {
            await Task.WhenAll(sessions.Values).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A session stuck in a socket call must not hang the test run; its socket dies with the process.
        }

        stopping.Dispose();
        Certificate.Dispose();
    }

    internal SimulatorAccount? Authenticate(string username, string password) =>
        accounts.TryGetValue(username, out var account) && account.Password == password ? account : null;

    internal async Task<Verdict> CompleteTransactionAsync(Envelope envelope, byte[] data, bool hasLongLine, CancellationToken cancellationToken)
    {
        var now = options.TimeProvider.GetUtcNow();
        var account = envelope.Account!;
        var queueId = Guid.NewGuid().ToString("N");
        var plan = Faults.Take(account.Username, envelope.RcptTo);
        Counts.Record(account.AppId, CountPoint.EndOfData, now);

        // Every call that reaches the end of DATA counts against the appId's rate, whatever its outcome.
        var rateLimited = limits.CountCall(account.AppId, now);
        Verdict verdict;
        if (plan.Drop && !plan.KeepMessage)
        {
            verdict = new Verdict(0, "connection closed after DATA (injected fault)");
        }
        else
        {
            verdict = plan.Failure
                ?? (hasLongLine ? ProviderReplies.LongLine : null)
                ?? rateLimited
                ?? (options.EnforceRules ? MessageRules.Check(envelope, data, options) : null)
                ?? limits.CountRecipients(account.Username, envelope.RcptTo, now)
                ?? new Verdict(250, $"2.0.0 Ok: queued as {queueId}");
        }

        if (verdict.Accepted)
        {
            await AcceptAsync(envelope, data, queueId, now, cancellationToken);
        }

        Record(envelope, verdict, now);
        if (plan.Delay > TimeSpan.Zero)
        {
            await Task.Delay(plan.Delay, options.TimeProvider, cancellationToken);
        }

        return plan.Drop ? new Verdict(0, "connection closed after DATA (injected fault)") : verdict;
    }

    internal void CountMailFrom(string appId) => Counts.Record(appId, CountPoint.MailFrom, options.TimeProvider.GetUtcNow());

    /// <summary>The delay of one reply; zero for replies without a latency.</summary>
    internal TimeSpan ReplyDelay(SmtpReply reply)
    {
        var latency = options.Latency;
        if (reply == SmtpReply.EndOfData && latency.HoldEveryNthEndOfData > 0
            && Interlocked.Increment(ref endOfDataReplies) % latency.HoldEveryNthEndOfData == 0)
        {
            return latency.HoldFor;
        }

        var spec = latency.For(reply);
        if (spec.IsZero)
        {
            return TimeSpan.Zero;
        }

        lock (latencyGate)
        {
            return spec.Sample(latencyRandom);
        }
    }

    internal void RecordRefusal(Envelope envelope, Verdict verdict) => Record(envelope, verdict, options.TimeProvider.GetUtcNow());

    private async Task AcceptAsync(Envelope envelope, byte[] data, string queueId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var account = envelope.Account!;
        var message = new ReceivedMessage(
            Interlocked.Increment(ref messageSequence), account.AppId, account.Username, envelope.MailFrom!, envelope.RcptTo, data, now, envelope.ConnectionId);
        if (options.RecordDirectory is { } directory)
        {
            // Written before the 250 goes out, so a client that saw the reply finds the files (named by its queue id).
            var name = Path.Combine(directory, $"{message.Sequence:D8}-{queueId}");
            Directory.CreateDirectory(directory);
            await File.WriteAllBytesAsync(name + ".eml", data, cancellationToken);
            var envelopeJson = JsonSerializer.Serialize(
                new { message.Sequence, QueueId = queueId, message.AppId, message.AuthenticatedUser, message.MailFrom, message.RcptTo, message.ReceivedAt, message.ConnectionId, Size = data.Length },
                EnvelopeJson);
            await File.WriteAllTextAsync(name + ".json", envelopeJson, cancellationToken);
        }

        TaskCompletionSource signal;
        lock (gate)
        {
            messages.Add(message);
            Trim(messages, options.MaxRetainedMessages);
            signal = messageAdded;
            messageAdded = NewSignal();
        }

        signal.TrySetResult();
        SimulatorLog.MessageAccepted(logger, envelope.ConnectionId, message.Sequence, account.AppId);
    }

    private void Record(Envelope envelope, Verdict verdict, DateTimeOffset at)
    {
        var transaction = new SmtpTransaction(
            Interlocked.Increment(ref transactionSequence),
            envelope.Account?.AppId,
            envelope.Account?.Username,
            envelope.MailFrom,
            envelope.RcptTo,
            at,
            verdict.Accepted,
            verdict.Code,
            verdict.Text,
            verdict.ErrorCode,
            envelope.ConnectionId);
        lock (gate)
        {
            transactions.Add(transaction);
            Trim(transactions, options.MaxRetainedTransactions);
        }

        if (!verdict.Accepted)
        {
            SimulatorLog.TransactionRefused(logger, envelope.ConnectionId, envelope.Account?.AppId, verdict.Code, verdict.ErrorCode);
        }
    }

    private static void Trim<T>(List<T> list, int limit)
    {
        // Trimming in batches keeps RemoveRange's copying rare.
        if (limit > 0 && list.Count > limit + (limit / 10))
        {
            list.RemoveRange(0, list.Count - limit);
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && stopping.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }

            if (Faults.RefusingConnections)
            {
                // A reset before TLS: what a client sees when the provider's endpoint refuses or is unreachable.
                SimulatorLog.ConnectionRefused(logger);
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
                continue;
            }

            var id = Interlocked.Increment(ref connectionSequence);
            var session = Task.Run(() => RunSessionAsync(socket, $"c{id}"), CancellationToken.None);
            sessions.TryAdd(id, session);
            _ = session.ContinueWith(_ => sessions.TryRemove(id, out Task? _), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private async Task RunSessionAsync(Socket socket, string connectionId)
    {
        socket.NoDelay = true;
        var network = new NetworkStream(socket, ownsSocket: true);
        await using var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
            {
                handshake.CancelAfter(TimeSpan.FromSeconds(10));
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = certificateContext }, handshake.Token);
            }

            await new SmtpSession(this, ssl, connectionId, logger).RunAsync(stopping.Token);
            SimulatorLog.ConnectionEnded(logger, connectionId, "closed");
        }
        catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Clients that drop the connection without QUIT end up here; that is normal for SMTP.
            SimulatorLog.ConnectionEnded(logger, connectionId, e.GetType().Name);
        }
        catch (Exception e)
        {
            SimulatorLog.ConnectionFailed(logger, connectionId, e);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
