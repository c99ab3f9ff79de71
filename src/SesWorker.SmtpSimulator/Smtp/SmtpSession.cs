using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using SesWorker.SmtpSimulator.Latency;
using SesWorker.SmtpSimulator.Rules;

namespace SesWorker.SmtpSimulator.Smtp;

/// <summary>
/// One SMTP conversation over an already-established TLS stream. Input goes through a PipeReader so pipelined
/// commands (MailKit sends MAIL, RCPT.. and DATA together when PIPELINING is advertised) are read from one buffer
/// and answered in order; replies are flushed once the buffered input holds no further complete line. A reply with a
/// latency (<see cref="ReplyLatencies"/>) goes out after its delay: the command is handled at once, earlier replies are
/// flushed first, and the next command is read only after it.
/// </summary>
internal sealed class SmtpSession(SmtpSimulatorServer server, Stream stream, string connectionId, ILogger logger)
{
    // SES SMTP error codes: a line of 2,000 characters or more gets the provider's system error (DATA and, here,
    // commands too).
    private const int LongLineLimit = 2000;

    // The provider's 50-recipient rule is judged after DATA; this only bounds memory.
    private const int MaxRecipients = 1000;

    // Content may run this far ahead of SimulatorOptions.DataBytesPerSecond before a line waits, so a message of short
    // lines costs a timer wakeup every few kilobytes instead of one per line. The end of DATA never runs ahead.
    private static readonly TimeSpan PacingLead = TimeSpan.FromMilliseconds(10);

    private readonly PipeWriter writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    private readonly List<string> recipients = [];
    private ArrayBufferWriter<byte> data = new(4096);
    private Mode mode = Mode.Command;
    private bool greeted;
    private bool closing;
    private SimulatorAccount? account;
    private string? loginUsername;
    private string? mailFrom;
    private bool discardingLongCommand;
    private long dataLineLength;
    private bool dataHasLongLine;
    private bool contentStarted;
    private long contentStart;
    private long contentRate;
    private long contentBytes;

    private enum Mode { Command, AuthPlain, AuthLoginUser, AuthLoginPassword, Data }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await DelayAsync(server.ReplyDelay(SmtpReply.Greeting), cancellationToken);
        Reply($"220 {SmtpSimulatorServer.ServerName} ESMTP");
        await writer.FlushAsync(cancellationToken);
        try
        {
            while (!closing)
            {
                // Restarting the timer on every read makes it an idle timeout, not a session limit.
                idle.CancelAfter(server.Options.IdleTimeout);
                var result = await reader.ReadAsync(idle.Token);
                var buffer = result.Buffer;
                while (!closing && TryReadLine(ref buffer, out var line, out var complete))
                {
                    if (mode == Mode.Data)
                    {
                        await OnDataLineAsync(line, complete, cancellationToken);
                    }
                    else if (ReplyOf(line) is { } reply && server.ReplyDelay(reply) is { Ticks: > 0 } delay)
                    {
                        await writer.FlushAsync(cancellationToken);
                        OnCommandLine(line);
                        await DelayAsync(delay, cancellationToken);
                        await writer.FlushAsync(cancellationToken);
                    }
                    else
                    {
                        OnCommandLine(line);
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                await writer.FlushAsync(cancellationToken);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
            await writer.CompleteAsync();
        }
    }

    /// <summary>
    /// Takes the next line without its CR LF. Over-long input without a line end is handed out in chunks (DATA) or
    /// discarded (commands) so a peer cannot make the buffer grow without bound.
    /// </summary>
    private bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line, out bool complete)
    {
        var end = buffer.PositionOf((byte)'\n');
        if (end is { } newline)
        {
            line = buffer.Slice(0, newline);
            if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
            {
                line = line.Slice(0, line.Length - 1);
            }

            buffer = buffer.Slice(buffer.GetPosition(1, newline));
            complete = true;
            return true;
        }

        complete = false;
        if (mode == Mode.Data && buffer.Length >= 8 * 1024)
        {
            // Keep the last byte back: it may be the CR of a CR LF that is split across reads.
            line = buffer.Slice(0, buffer.Length - 1);
            buffer = buffer.Slice(line.End);
            return true;
        }

        if (mode != Mode.Data && buffer.Length >= LongLineLimit)
        {
            discardingLongCommand = true;
            buffer = buffer.Slice(buffer.End);
        }

        line = default;
        return false;
    }

    private void OnCommandLine(ReadOnlySequence<byte> raw)
    {
        var step = mode;
        mode = Mode.Command;
        if (discardingLongCommand || raw.Length >= LongLineLimit)
        {
            discardingLongCommand = false;
            Reply(ProviderReplies.LongLine.Line);
            return;
        }

        var line = Encoding.UTF8.GetString(raw);
        if (step != Mode.Command && line == "*")
        {
            Reply("501 5.7.0 Authentication aborted");
            return;
        }

        switch (step)
        {
            case Mode.AuthPlain:
                AuthenticatePlain(line);
                return;
            case Mode.AuthLoginUser:
                AskLoginPassword(line);
                return;
            case Mode.AuthLoginPassword:
                Authenticate(loginUsername ?? string.Empty, DecodeBase64(line));
                return;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var argument = space < 0 ? string.Empty : line[(space + 1)..].Trim();
        switch (verb)
        {
            case "EHLO" or "HELO":
                greeted = true;
                ResetTransaction();
                Reply(verb == "HELO"
                    ? $"250 {SmtpSimulatorServer.ServerName}"
                    : $"250-{SmtpSimulatorServer.ServerName}\r\n250-PIPELINING\r\n250-SIZE\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES");
                break;
            case "AUTH":
                OnAuth(argument);
                break;
            case "MAIL":
                OnMail(argument);
                break;
            case "RCPT":
                OnRcpt(argument);
                break;
            case "DATA":
                OnData();
                break;
            case "RSET":
                ResetTransaction();
                Reply("250 2.0.0 Ok");
                break;
            case "NOOP":
                Reply("250 2.0.0 Ok");
                break;
            case "QUIT":
                Reply("221 2.0.0 Bye");
                closing = true;
                break;
            default:
                Reply("502 5.5.2 Error: command not recognized");
                break;
        }
    }

    private void OnAuth(string argument)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        var mechanism = parts.Length > 0 ? parts[0].ToUpperInvariant() : string.Empty;
        var initial = parts.Length > 1 ? parts[1] : null;
        switch (mechanism)
        {
            case var _ when !greeted:
                Reply("503 5.5.1 Error: send HELO/EHLO first");
                break;
            case var _ when account is not null:
                Reply("503 5.5.1 Error: already authenticated");
                break;
            case "PLAIN" when initial is null:
                mode = Mode.AuthPlain;
                Reply("334 ");
                break;
            case "PLAIN":
                AuthenticatePlain(initial);
                break;
            case "LOGIN" when initial is null:
                mode = Mode.AuthLoginUser;
                Reply("334 VXNlcm5hbWU6");
                break;
            case "LOGIN":
                AskLoginPassword(initial);
                break;
            default:
                Reply("504 5.5.4 Unrecognized authentication type");
                break;
        }
    }

    private void AskLoginPassword(string encodedUsername)
    {
        loginUsername = DecodeBase64(encodedUsername);
        mode = loginUsername is null ? Mode.Command : Mode.AuthLoginPassword;
        Reply(loginUsername is null ? "501 5.5.2 Cannot decode response" : "334 UGFzc3dvcmQ6");
    }

    private void AuthenticatePlain(string response)
    {
        // authzid NUL authcid NUL passwd (RFC 4616); the authorization identity is ignored.
        if (DecodeBase64(response)?.Split('\0') is not [_, var username, var password])
        {
            Reply("501 5.5.2 Cannot decode response");
            return;
        }

        Authenticate(username, password);
    }

    private void Authenticate(string username, string? password)
    {
        account = password is null ? null : server.Authenticate(username, password);
        if (account is null)
        {
            SimulatorLog.AuthenticationFailed(logger, connectionId, username);
        }

        Reply(account is null ? "535 5.7.8 Authentication failed" : "235 2.7.0 Authentication successful");
    }

    private void OnMail(string argument)
    {
        if (!greeted)
        {
            Reply("503 5.5.1 Error: send HELO/EHLO first");
            return;
        }

        if (mailFrom is not null)
        {
            Reply("503 5.5.1 Error: nested MAIL command");
            return;
        }

        if (ParsePath(argument, "FROM:") is not { } address)
        {
            Reply("501 5.5.4 Syntax: MAIL FROM:<address>");
            return;
        }

        if (account is null)
        {
            var refusal = new Verdict(530, "5.7.0 Authentication required");
            server.RecordRefusal(new Envelope(connectionId, null, address, []), refusal);
            Reply(refusal.Line);
            return;
        }

        mailFrom = address;
        server.CountMailFrom(account.AppId);
        Reply("250 2.1.0 Ok");
    }

    private void OnRcpt(string argument)
    {
        if (mailFrom is null)
        {
            Reply("503 5.5.1 Error: need MAIL command");
        }
        else if (ParsePath(argument, "TO:") is not { Length: > 0 } address || !address.Contains('@', StringComparison.Ordinal))
        {
            Reply("501 5.1.3 Bad recipient address syntax");
        }
        else if (recipients.Count >= MaxRecipients)
        {
            Reply("452 4.5.3 Error: too many recipients");
        }
        else
        {
            recipients.Add(address);
            Reply("250 2.1.5 Ok");
        }
    }

    private void OnData()
    {
        if (mailFrom is null)
        {
            Reply("503 5.5.1 Error: need MAIL command");
        }
        else if (recipients.Count == 0)
        {
            Reply("503 5.5.1 Error: need RCPT command");
        }
        else
        {
            mode = Mode.Data;
            data.ResetWrittenCount();
            dataLineLength = 0;
            dataHasLongLine = false;
            contentStarted = false;
            Reply("354 End data with <CR><LF>.<CR><LF>");
        }
    }

    private async Task OnDataLineAsync(ReadOnlySequence<byte> line, bool complete, CancellationToken cancellationToken)
    {
        var end = complete && dataLineLength == 0 && line.Length == 1 && line.FirstSpan[0] == (byte)'.';
        await PaceContentAsync(line.Length + (complete ? 2 : 0), end, cancellationToken);
        if (dataLineLength == 0 && line.Length > 0 && line.FirstSpan[0] == (byte)'.')
        {
            if (end)
            {
                await CompleteDataAsync(cancellationToken);
                return;
            }

            // Dot-unstuffing (RFC 5321 4.5.2): a leading dot was doubled by the client.
            line = line.Slice(1);
            dataLineLength = 1;
        }

        dataLineLength += line.Length;
        if (data.WrittenCount + line.Length + 2 > server.Options.MaxMessageBytes)
        {
            // The provider returns EOF for messages around 10 MB (SES SMTP error codes): close instead of replying.
            server.RecordRefusal(CurrentEnvelope(), new Verdict(0, "connection closed: message exceeds the size limit"));
            closing = true;
            return;
        }

        foreach (var segment in line)
        {
            data.Write(segment.Span);
        }

        if (complete)
        {
            data.Write("\r\n"u8);
            dataHasLongLine |= dataLineLength >= LongLineLimit;
            dataLineLength = 0;
        }
    }

    /// <summary>
    /// Holds the content to <see cref="SimulatorOptions.DataBytesPerSecond"/>, as a link of that bandwidth would: a
    /// line is taken only once the link would have delivered it, counted from the first content byte. While a line waits
    /// nothing more is read from the socket, so its buffers fill and TCP flow control slows the sender. The schedule is
    /// absolute, so a late timer does not slow the link below its rate; the end of DATA waits its full time, so it is
    /// judged and counted no sooner than its last byte would arrive.
    /// </summary>
    private Task PaceContentAsync(long bytes, bool end, CancellationToken cancellationToken)
    {
        var time = server.Options.TimeProvider;
        if (!contentStarted)
        {
            // Read once per message, so a running test may change it for the next transaction without a jump mid-message.
            contentStarted = true;
            contentStart = time.GetTimestamp();
            contentRate = server.Options.DataBytesPerSecond;
            contentBytes = 0;
        }

        if (contentRate <= 0)
        {
            return Task.CompletedTask;
        }

        contentBytes += bytes;
        var ahead = TimeSpan.FromSeconds((double)contentBytes / contentRate) - time.GetElapsedTime(contentStart);
        if (ahead <= TimeSpan.Zero || (!end && ahead < PacingLead))
        {
            return Task.CompletedTask;
        }

        // Whole milliseconds, rounded up: a timer is not finer, and a shorter wait could end before the byte is due.
        return DelayAsync(TimeSpan.FromMilliseconds(Math.Ceiling(ahead.TotalMilliseconds)), cancellationToken);
    }

    private async Task CompleteDataAsync(CancellationToken cancellationToken)
    {
        mode = Mode.Command;
        var envelope = CurrentEnvelope();
        var bytes = data.WrittenSpan.ToArray();
        ResetTransaction();

        // Earlier replies go out first so an injected delay or drop only affects the DATA reply.
        await writer.FlushAsync(cancellationToken);
        var reply = await server.CompleteTransactionAsync(envelope, bytes, dataHasLongLine, cancellationToken);
        if (reply.Code == 0)
        {
            closing = true;
            return;
        }

        await DelayAsync(server.ReplyDelay(SmtpReply.EndOfData), cancellationToken);
        Reply(reply.Line);
    }

    /// <summary>Which reply a command line will get, for its latency; null for lines that are not one of <see cref="SmtpReply"/>.</summary>
    private SmtpReply? ReplyOf(ReadOnlySequence<byte> line)
    {
        if (mode is Mode.AuthPlain or Mode.AuthLoginUser or Mode.AuthLoginPassword)
        {
            return SmtpReply.Auth;
        }

        if (line.Length < 4 || (line.Length > 4 && line.Slice(4, 1).FirstSpan[0] != (byte)' '))
        {
            return null;
        }

        return Encoding.ASCII.GetString(line.Slice(0, 4)).ToUpperInvariant() switch
        {
            "EHLO" or "HELO" => SmtpReply.Ehlo,
            "AUTH" => SmtpReply.Auth,
            "MAIL" => SmtpReply.MailFrom,
            "RCPT" => SmtpReply.RcptTo,
            "DATA" => SmtpReply.Data,
            "RSET" => SmtpReply.Rset,
            "NOOP" => SmtpReply.Noop,
            "QUIT" => SmtpReply.Quit,
            _ => null,
        };
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, server.Options.TimeProvider, cancellationToken) : Task.CompletedTask;

    private Envelope CurrentEnvelope() => new(connectionId, account, mailFrom, recipients.ToArray());

    private void ResetTransaction()
    {
        mailFrom = null;
        recipients.Clear();
        if (data.Capacity > 1024 * 1024)
        {
            // Do not let one large message pin megabytes for the rest of a long-lived connection.
            data = new ArrayBufferWriter<byte>(4096);
        }

        data.ResetWrittenCount();
    }

    private void Reply(string line)
    {
        var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length) + 2);
        var written = Encoding.UTF8.GetBytes(line, span);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        writer.Advance(written);
    }

    private static string? ParsePath(string argument, string prefix)
    {
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = argument[prefix.Length..].TrimStart();
        if (!rest.StartsWith('<'))
        {
            // Tolerate a bare address as many servers do; parameters follow a space.
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            return space < 0 ? rest : rest[..space];
        }

        var close = rest.IndexOf('>', StringComparison.Ordinal);
        return close < 0 ? null : rest[1..close];
    }

    private static string? DecodeBase64(string value)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value.Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
