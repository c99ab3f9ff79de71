using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Core.Smtp;
using MimeKit;
using SesWorker.Worker.Accounts;
using SesWorker.Worker.Limiting;

namespace SesWorker.Worker.Smtp;

/// <summary>Sends one composed message on a pooled connection and turns whatever happens into a value.</summary>
public sealed class SmtpSender(SmtpConnectionPool pool, TransactionDeadline deadline)
{
    /// <summary>
    /// Sends at the slot's pace: the transaction starts at the start of the slot <paramref name="acquire"/> returns, and
    /// once the provider has accepted the recipients the content waits at the throttle until the moment it is counted.
    /// Both moments are checked once more just before their bytes reach the socket (<see cref="PacingStream"/>).
    /// </summary>
    /// <param name="acquire">
    /// Runs once a connection is in hand (so no connection setup or pool wait sits between a slot and its use) and
    /// returns the slot once reserved; what it throws (a pause, a lost claim) escapes with the connection returned unused.
    /// </param>
    public async Task<SmtpSendResult> SendAsync(SmtpCredential credential, ComposedEmail email, Func<CancellationToken, Task<SendSlot>> acquire,
        SendThrottle throttle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(email);
        ArgumentNullException.ThrowIfNull(acquire);
        ArgumentNullException.ThrowIfNull(throttle);
        PooledSmtpConnection connection;
        try
        {
            connection = await pool.RentAsync(credential, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && IsConnectFailure(exception))
        {
            return FromException(exception, dataStarted: false) with { NotSent = true };
        }

        // Once the slot is reserved (which marks the email transmitting) the send runs to its end whatever happens to
        // the message's consume; only the process's stop cuts it short (TransactionDeadline). MassTransit cancels every
        // consume at once when the broker's connection drops: a transaction cut there left the provider holding a
        // message nobody recorded, and its redelivery sent it again (recorded unknown); one cut while it waited for its
        // start was recorded unknown though nothing was sent. The outcome is written whatever the consume's token says
        // (OutcomeRecorder), and the redelivered copy finds the email done; except where the outcome needs the broker
        // first (a retry's, a deferral's or a dead letter's copy is published before the row says where it went): with
        // the broker gone that copy cannot go, and the redelivered message is recorded unknown and sent again.
        var transactionToken = deadline.Token;
        SendSlot slot;
        try
        {
            slot = await acquire(cancellationToken);
            var wait = SendSlot.Until(slot.StartAt);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, transactionToken);
        }
        catch
        {
            // Nothing was said on the connection: it goes back to the pool as it was.
            await pool.ReturnAsync(connection);
            throw;
        }

        var progress = new DataProgress();
        var wire = connection.Wire;
        var gate = new ContentGate(async ct =>
        {
            await throttle.GateContentAsync(slot, ct);
            wire.BeforeNextWrite(c => throttle.ConfirmContentAsync(slot, c), c => throttle.WrittenAsync(slot, content: true, c));
        });
        // The first leaf is the first content MailKit writes after the provider's go-ahead (354).
        var part = email.Message.BodyParts.OfType<MimePart>().First();
        var content = part.Content;
        try
        {
            part.Content = new GatedContent(content!, gate);
            connection.Client.Pace(gate, email.SizeBytes);
            // The transaction's first write is its MAIL FROM (with the recipients, when pipelined).
            wire.BeforeNextWrite(c => throttle.ConfirmStartAsync(slot, c), c => throttle.WrittenAsync(slot, content: false, c));
            var response = await connection.Client.SendAsync(MimeComposer.WireFormat, email.Message, transactionToken, progress);
            return new SmtpSendResult(SmtpReplyParser.Parse(250, response), null);
        }
        catch (SmtpCommandException exception)
        {
            // MailKit has already reset the transaction (RSET): the connection stays usable.
            var reply = SmtpReplyParser.Parse((int)exception.StatusCode, exception.Message);
            return new SmtpSendResult(reply, Classify(reply));
        }
        catch (Exception exception) when (IsWireFailure(exception))
        {
            connection.Broken = true;
            return FromException(exception, progress.Started || gate.Passed);
        }
        catch
        {
            connection.Broken = true;
            throw;
        }
        finally
        {
            if (gate.Passed)
                await throttle.CompleteAsync(slot);
            part.Content = content;
            connection.Client.Pace(null, null);
            wire.BeforeNextWrite(null);
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
