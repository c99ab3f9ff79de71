using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Core.Smtp;
using SesWorker.Worker.Accounts;

namespace SesWorker.Worker.Smtp;

/// <summary>Sends one composed message on a pooled connection and turns whatever happens into a value.</summary>
public sealed class SmtpSender(SmtpConnectionPool pool)
{
    /// <param name="beforeTransaction">
    /// Runs once a connection is in hand and just before MAIL FROM: the rate-limit slot is taken there, so no
    /// connection setup (TLS, AUTH) or pool wait sits between the slot and the moment the provider counts the call.
    /// What it returns is disposed as soon as the provider has answered.
    /// </param>
    public async Task<SmtpSendResult> SendAsync(SmtpCredential credential, ComposedEmail email, Func<CancellationToken, Task<IAsyncDisposable>> beforeTransaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(beforeTransaction);
        ArgumentNullException.ThrowIfNull(email);
        PooledSmtpConnection connection;
        try
        {
            connection = await pool.RentAsync(credential, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && IsConnectFailure(exception))
        {
            return FromException(exception, dataStarted: false) with { NotSent = true };
        }

        var progress = new DataProgress();
        IAsyncDisposable? slot = null;
        try
        {
            slot = await beforeTransaction(cancellationToken);
            var response = await connection.Client.SendAsync(MimeComposer.WireFormat, email.Message, cancellationToken, progress);
            connection.MessagesSent++;
            return new SmtpSendResult(SmtpReplyParser.Parse(250, response), null);
        }
        catch (SmtpCommandException exception)
        {
            // MailKit has already reset the transaction (RSET): the connection stays usable.
            var reply = SmtpReplyParser.Parse((int)exception.StatusCode, exception.Message);
            return new SmtpSendResult(reply, Classify(reply));
        }
        catch (Exception exception) when (slot is not null && !cancellationToken.IsCancellationRequested && IsWireFailure(exception))
        {
            connection.Broken = true;
            return FromException(exception, progress.Started);
        }
        catch when (slot is null)
        {
            // No slot (limiter unreachable, app paused): nothing was said on the connection; it stays pooled.
            throw;
        }
        catch
        {
            connection.Broken = true;
            throw;
        }
        finally
        {
            if (slot is not null)
                await slot.DisposeAsync();
            await pool.ReturnAsync(connection);
        }
    }

    internal static SendFailure Classify(SmtpReply reply)
    {
        if (reply.ProviderCode is { Length: > 0 } code)
            return new SendFailure(code, reply.ProviderMessage ?? reply.Text, FailureClassifier.Classify(code, reply.Status));
        return reply.IsTransient
            ? new SendFailure(ErrorCodes.SmtpTransient, reply.ToString(), FailureClass.Transient)
            : new SendFailure(ErrorCodes.SmtpPermanent, reply.ToString(), FailureClass.Permanent);
    }

    private static SmtpSendResult FromException(Exception exception, bool dataStarted) => exception switch
    {
        AuthenticationException => new SmtpSendResult(null, new SendFailure(
            ErrorCodes.AuthenticationFailed, $"SMTP authentication failed: {exception.Message}", FailureClass.Permanent)),
        SmtpCommandException command => new SmtpSendResult(
            SmtpReplyParser.Parse((int)command.StatusCode, command.Message),
            Classify(SmtpReplyParser.Parse((int)command.StatusCode, command.Message))),
        _ => new SmtpSendResult(null, new SendFailure(
            ErrorCodes.NetworkError, $"{exception.GetType().Name}: {exception.Message}", FailureClass.Transient), Unknown: dataStarted),
    };

    private static bool IsConnectFailure(Exception exception) =>
        IsWireFailure(exception) || exception is AuthenticationException or SmtpCommandException;

    private static bool IsWireFailure(Exception exception) => exception is IOException or SocketException
        or SmtpProtocolException or ServiceNotConnectedException or SslHandshakeException or TimeoutException
        or OperationCanceledException or System.Security.Authentication.AuthenticationException;

    /// <summary>MailKit reports progress only while writing DATA: any report means the provider may have the message.</summary>
    private sealed class DataProgress : ITransferProgress
    {
        public bool Started { get; private set; }

        public void Report(long bytesTransferred, long totalSize) => Started = true;

        public void Report(long bytesTransferred) => Started = true;
    }
}
