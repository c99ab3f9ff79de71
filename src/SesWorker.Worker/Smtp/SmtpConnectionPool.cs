using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Worker.Accounts;

namespace SesWorker.Worker.Smtp;

/// <summary>
/// Authenticated SMTP connections, pooled per credential and reused across messages: a TLS handshake
/// and AUTH cost more than the send itself. Connections idle past <see cref="SmtpOptions.ProbeAfterIdle"/>
/// are checked with NOOP, dropped ones are replaced, idle ones closed with QUIT, all closed together on shutdown.
/// </summary>
public sealed partial class SmtpConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<SmtpCredential, Slot> _slots = new();
    private readonly SmtpOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SmtpConnectionPool> _logger;
    private readonly X509Certificate2? _pinned;
    private readonly ITimer _reaper;
    private bool _disposed;

    public SmtpConnectionPool(IOptions<SmtpOptions> options, TimeProvider timeProvider, ILogger<SmtpConnectionPool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        if (_options.TrustedCertificateFile is { Length: > 0 } file)
            _pinned = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        var period = _options.IdleTimeout / 2;
        _reaper = timeProvider.CreateTimer(_ => _ = CloseIdleAsync(), null, period, period);
    }

    public int OpenConnections => _slots.Values.Sum(s => s.Open);

    public async Task<PooledSmtpConnection> RentAsync(SmtpCredential credential, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slot = _slots.GetOrAdd(credential, _ => new Slot(_options.MaxConnectionsPerSender));
        await slot.Gate.WaitAsync(cancellationToken);
        try
        {
            while (slot.Idle.TryPop(out var connection))
            {
                bool usable;
                try
                {
                    usable = await IsUsableAsync(connection, cancellationToken);
                }
                catch
                {
                    // Cut mid-probe (the consume cancelled): the connection is in no state to be pooled again.
                    await CloseAsync(slot, connection);
                    throw;
                }

                if (usable)
                    return connection;
                await CloseAsync(slot, connection);
            }

            var opened = await OpenAsync(credential, cancellationToken);
            Interlocked.Increment(ref slot.Open);
            return opened;
        }
        catch
        {
            slot.Gate.Release();
            throw;
        }
    }

    public async ValueTask ReturnAsync(PooledSmtpConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var slot = _slots[connection.Credential];
        try
        {
            if (connection.Broken || _disposed || !connection.Client.IsConnected)
            {
                await CloseAsync(slot, connection);
                return;
            }

            connection.LastUsed = _timeProvider.GetUtcNow();
            slot.Idle.Push(connection);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task<bool> IsUsableAsync(PooledSmtpConnection connection, CancellationToken cancellationToken)
    {
        if (!connection.Client.IsConnected)
            return false;
        var idle = _timeProvider.GetUtcNow() - connection.LastUsed;
        if (idle >= _options.IdleTimeout)
            return false;
        if (idle < _options.ProbeAfterIdle)
            return true;
        try
        {
            await connection.Client.NoOpAsync(cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is IOException or TimeoutException or SmtpProtocolException or SmtpCommandException or InvalidOperationException)
        {
            Log.ConnectionProbeFailed(_logger, connection.Credential.ToString(), exception.Message);
            return false;
        }
    }

    private async Task<PooledSmtpConnection> OpenAsync(SmtpCredential credential, CancellationToken cancellationToken)
    {
        var client = new PacedSmtpClient { Timeout = (int)_options.CommandTimeout.TotalMilliseconds };
        if (_pinned is not null)
        {
            client.CheckCertificateRevocation = false;
            client.ServerCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHash().AsSpan().SequenceEqual(_pinned.GetCertHash());
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var started = _timeProvider.GetTimestamp();
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(credential.Host, credential.Port, connectTimeout.Token);
            // MailKit runs TLS over this stream, so a paced send's last look at the clock is just before the socket.
            var wire = new PacingStream(new NetworkStream(socket, ownsSocket: true), _options.CommandTimeout);
            // Port 465 is implicit TLS: the provider disables STARTTLS on 25.
            await client.ConnectAsync(wire, credential.Host, credential.Port, SecureSocketOptions.SslOnConnect, connectTimeout.Token);
            var connected = _timeProvider.GetElapsedTime(started);
            await client.AuthenticateAsync(credential.Username, credential.Password, cancellationToken);
            Log.ConnectionOpened(_logger, credential.ToString(), connected.TotalMilliseconds, _timeProvider.GetElapsedTime(started).TotalMilliseconds);
            return new PooledSmtpConnection(client, wire, credential, _timeProvider.GetUtcNow());
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// How long a QUIT may wait for the provider's 221 before the socket is closed anyway: a polite close, not a
    /// condition of one (RFC 5321 asks the client to wait for the reply, and the provider has the message already).
    /// </summary>
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(2);

    private static async Task CloseAsync(Slot slot, PooledSmtpConnection connection)
    {
        Interlocked.Decrement(ref slot.Open);
        try
        {
            if (connection.Client.IsConnected && !connection.Broken)
            {
                using var quitTimeout = new CancellationTokenSource(QuitTimeout);
                await connection.Client.DisconnectAsync(quit: true, quitTimeout.Token);
            }
        }
        catch (Exception exception) when (exception is IOException or SmtpProtocolException or SmtpCommandException or OperationCanceledException or InvalidOperationException)
        {
            // Closing a connection that is already gone: nothing to do.
        }
        finally
        {
            connection.Client.Dispose();
        }
    }

    private async Task CloseIdleAsync()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var slot in _slots.Values)
        {
            if (!slot.Gate.Wait(0))
                continue;
            try
            {
                var keep = new List<PooledSmtpConnection>();
                var closing = new List<Task>();
                while (slot.Idle.TryPop(out var connection))
                {
                    if (now - connection.LastUsed >= _options.IdleTimeout)
                        closing.Add(CloseAsync(slot, connection));
                    else
                        keep.Add(connection);
                }

                foreach (var connection in Enumerable.Reverse(keep))
                    slot.Idle.Push(connection);
                await Task.WhenAll(closing);
            }
            finally
            {
                slot.Gate.Release();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await _reaper.DisposeAsync();
        // All at once: one after another, each QUIT a round trip to the provider, 57 connections at 300 ms per reply
        // took 18.8 s of a stop that may take 20 in all (and hundreds of appIds' connections would take minutes). Together
        // they take one round trip, at most QuitTimeout.
        var closing = new List<Task>();
        foreach (var slot in _slots.Values)
        {
            while (slot.Idle.TryPop(out var connection))
                closing.Add(CloseAsync(slot, connection));
        }

        await Task.WhenAll(closing);

        _pinned?.Dispose();
    }

    private sealed class Slot(int maxConnections) : IDisposable
    {
        public readonly SemaphoreSlim Gate = new(maxConnections, maxConnections);

        public void Dispose() => Gate.Dispose();

        public readonly ConcurrentStack<PooledSmtpConnection> Idle = new();
        public int Open;
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Debug, "Opened SMTP connection for {Credential}: greeted over TLS after {ConnectedMs:F0} ms, authenticated after {OpenedMs:F0} ms")]
        public static partial void ConnectionOpened(ILogger logger, string credential, double connectedMs, double openedMs);

        [LoggerMessage(1002, LogLevel.Information, "Pooled SMTP connection for {Credential} failed its NOOP probe and is replaced: {Reason}")]
        public static partial void ConnectionProbeFailed(ILogger logger, string credential, string reason);
    }
}
