using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Persistence.History;
using SesWorker.Worker.DeadLettering;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Accounts;
using SesWorker.Worker.Smtp;

namespace SesWorker.Worker.Sending;

/// <summary>
/// One SendEmail, start to end: claim by EmailId, validate, compose, send on a pooled connection,
/// persist the outcome, then let MassTransit acknowledge. A provider failure is a value recorded with
/// its code; only infrastructure faults (database, broker) escape as exceptions and are retried.
/// </summary>
public sealed partial class SendEmailConsumer(
    EmailStore store,
    SendEmailValidator validator,
    MimeComposer composer,
    AccountRegistry accounts,
    SmtpSender sender,
    DeadLetterRouter deadLetters,
    SendThrottle throttle,
    InFlightEmails inFlight,
    SendMetrics metrics,
    IOptions<RateLimitingOptions> throttleOptions,
    IOptions<WorkerOptions> options,
    IOptions<SesLimits> limits,
    TimeProvider timeProvider,
    ILogger<SendEmailConsumer> logger) : IConsumer<SendEmail>
{
    private static readonly TimeSpan ConnectOutageDeferral = TimeSpan.FromMinutes(2);

    private readonly WorkerOptions _options = options.Value;
    private readonly string _workerId = options.Value.ResolveWorkerId();

    public async Task Consume(ConsumeContext<SendEmail> context)
    {
        var emailId = context.Message.EmailId;
        if (!inFlight.TryEnter(emailId))
            throw new EmailHeldElsewhereException(emailId);
        try
        {
            await ConsumeClaimedAsync(context);
        }
        finally
        {
            inFlight.Exit(emailId);
        }
    }

    private async Task ConsumeClaimedAsync(ConsumeContext<SendEmail> context)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        // A message back from a dead-letter queue (an operator's redrive, or the rate-limited queue's TTL) may
        // leave dead_lettered; any other copy of a dead-lettered email is a duplicate.
        var redriven = (context.Headers.Get<bool>(DeadLetterHeaders.Redriven) ?? false)
            || context.Headers.Get<string>(DeadLetterHeaders.Reason) == DeadLetterHeaders.ReasonRateLimited;

        var claim = await store.ClaimAsync(command, _workerId, _options.ClaimLease, allowDeadLettered: redriven, cancellationToken);
        switch (claim.State)
        {
            case ClaimState.AlreadyCompleted:
                Log.AlreadyCompleted(logger, command.EmailId, claim.Status);
                return;
            case ClaimState.HeldElsewhere:
                throw new EmailHeldElsewhereException(command.EmailId);
        }

        var started = timeProvider.GetUtcNow();
        // Back early from a delay queue (tiers are coarse): go round again rather than send before the time.
        if (context.Headers.Get<string>(DeadLetterHeaders.DeferredUntil) is { } deferredHeader
            && DateTimeOffset.TryParse(deferredHeader, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var deferredUntil)
            && deferredUntil > started + TimeSpan.FromSeconds(1))
        {
            var code = context.Headers.Get<string>(DeadLetterHeaders.Code) ?? ErrorCodes.RecipientHourlyCap;
            var reason = context.Headers.Get<string>(DeadLetterHeaders.ProviderMessage) ?? "deferred";
            await store.ReleaseAsync(command.EmailId, EmailStatus.Deferred, context.CancellationToken);
            await deadLetters.DeferAsync(context, code, reason, deferredUntil, context.CancellationToken);
            return;
        }

        if (validator.Validate(command) is { } invalid)
        {
            await FinishAsync(context, invalid, started, reply: null, countsAsAttempt: false, attempts: claim.Attempts, email: null);
            return;
        }

        var email = composer.Compose(command);
        if (CheckWire(email) is { } wireFailure)
        {
            await FinishAsync(context, wireFailure, started, reply: null, countsAsAttempt: false, attempts: claim.Attempts, email);
            return;
        }

        if (!accounts.HasAccount(command.AppId!))
        {
            await FinishAsync(context, new SendFailure(ErrorCodes.UnknownAccount, $"AppId {command.AppId} is not configured on this worker.", FailureClass.Permanent),
                started, null, false, claim.Attempts, email);
            return;
        }

        var credential = accounts.Find(command.AppId!, command.From!.Address);
        if (credential is null)
        {
            await FinishAsync(context, new SendFailure(ErrorCodes.UnknownSender, $"Sender {command.From.Address} has no SMTP password configured for appId {command.AppId}.", FailureClass.Permanent),
                started, null, false, claim.Attempts, email);
            return;
        }

        if (throttle.KnownPause(command.AppId!, timeProvider.GetUtcNow()) is { } pausedUntil)
        {
            await DeferAsync(context, email, pausedUntil, ErrorCodes.ExceedSendLimit, PauseReason(command.AppId!, pausedUntil));
            return;
        }

        if (await throttle.CheckRecipientCapAsync(command.From.Address, command.To!.Select(t => t.Address), cancellationToken) is { } freeAt)
        {
            var reason = $"{command.From.Address} reached {throttleOptions.Value.RecipientCap} mails per {throttleOptions.Value.RecipientWindow} to a recipient; deferred until {freeAt:O}.";
            await DeferAsync(context, email, freeAt, ErrorCodes.RecipientHourlyCap, reason);
            return;
        }

        var attempts = claim.Attempts;
        var tries = claim.Attempts;
        DateTimeOffset? notSentSince = null;
        while (true)
        {
            // The slot is taken on a connection in hand, immediately before the transaction, so sends reach the
            // provider spaced as granted.
            started = timeProvider.GetUtcNow();
            SmtpSendResult result;
            try
            {
                result = await sender.SendAsync(credential, email, ct => throttle.AcquireAsync(command.AppId!, ct), cancellationToken);
            }
            catch (AppPausedException paused)
            {
                await DeferAsync(context, email, paused.Until, ErrorCodes.ExceedSendLimit, PauseReason(command.AppId!, paused.Until));
                return;
            }

            if (result.Accepted)
            {
                attempts = await RecordAfterSendAsync(Record(command, started, "sent", EmailStatus.Sent, result, email));
                metrics.RecordOutcome(EmailStatus.Sent);
                Log.Sent(logger, command.EmailId, command.AppId!, email.MessageId, attempts);
                await context.Publish(new EmailSent
                {
                    EmailId = command.EmailId,
                    AppId = command.AppId!,
                    MessageId = email.MessageId,
                    SmtpReply = result.Reply?.ToString() ?? "250",
                    Attempts = attempts,
                    SentAt = timeProvider.GetUtcNow(),
                    CorrelationId = command.CorrelationId,
                }, cancellationToken);
                return;
            }

            var failure = result.Failure!;
            // Codes with a wait of their own: retrying sooner cannot help (a whole-account pause stops every replica).
            if (FailureClassifier.PauseFor(failure.Code, timeProvider.GetUtcNow()) is { } pause && (pause.WholeAccount || tries + 1 < _options.MaxAttempts))
            {
                string reason;
                if (pause.WholeAccount)
                {
                    await throttle.PauseAsync(command.AppId!, pause.Until, cancellationToken);
                    reason = $"{PauseReason(command.AppId!, pause.Until)} Provider: {failure.Message}";
                }
                else
                {
                    reason = $"{failure.Message} (deferred until {pause.Until:O})";
                }

                await DeferAsync(context, email, pause.Until, failure.Code, reason, (started, result));
                return;
            }

            if (failure.Class != FailureClass.Transient)
            {
                await FinishAsync(context, failure, started, result, countsAsAttempt: true, attempts, email);
                return;
            }

            if (result.NotSent)
            {
                // No transaction happened (connect, TLS or AUTH failed): an outage of the provider or the network
                // does not use up the message's attempts. Past the tolerance it is deferred, never failed.
                notSentSince ??= timeProvider.GetUtcNow();
                if (timeProvider.GetUtcNow() - notSentSince >= _options.ConnectOutageTolerance)
                {
                    var until = timeProvider.GetUtcNow() + ConnectOutageDeferral;
                    var reason = $"{failure.Message} (no connection for {_options.ConnectOutageTolerance}; deferred until {until:O})";
                    await DeferAsync(context, email, until, failure.Code, reason, (started, result));
                    return;
                }
            }
            else if (tries + 1 >= _options.MaxAttempts)
            {
                var exhausted = failure with { Message = $"{failure.Message} (gave up after {tries + 1} attempts)" };
                await FinishAsync(context, exhausted, started, result, countsAsAttempt: true, attempts, email);
                return;
            }

            if (!result.NotSent)
                tries++;
            var status = result.Unknown ? EmailStatus.Unknown : EmailStatus.Retrying;
            attempts = await RecordAfterSendAsync(Record(command, started, result.Unknown ? "unknown" : "transient", status, result, email));
            var delay = Backoff.Delay(attempts, _options.RetryBaseDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
            Log.Retrying(logger, command.EmailId, failure.Code, attempts, delay);
            await Task.Delay(delay, timeProvider, cancellationToken);
        }
    }

    /// <summary>
    /// Parks the email in a delay queue and records why: with the SMTP attempt that led here (its reply is kept),
    /// or, for a deferral decided before any call, without one.
    /// </summary>
    private async Task DeferAsync(ConsumeContext<SendEmail> context, ComposedEmail email, DateTimeOffset until, string code, string reason,
        (DateTimeOffset Started, SmtpSendResult Result)? attempt = null)
    {
        var command = context.Message;
        var queue = await deadLetters.DeferAsync(context, code, reason, until, context.CancellationToken);
        var record = attempt is var (started, result)
            ? Record(command, started, "transient", EmailStatus.Deferred, result, email)
            : Record(command, timeProvider.GetUtcNow(), "deferred", EmailStatus.Deferred, null, email) with { CountsAsAttempt = false };
        await RecordAfterSendAsync(record with { Code = code, Message = reason });

        metrics.RecordOutcome(EmailStatus.Deferred);
        Log.Deferred(logger, command.EmailId, queue, code, until);
    }

    private static string PauseReason(string appId, DateTimeOffset until) =>
        $"AppId {appId} spent its daily quota (FailedOperation.ExceedSendLimit); sending resumes at {until:O}, the provider's next day.";

    /// <summary>
    /// After an SMTP transaction the outcome must be written before anything else happens: re-running the
    /// consumer would send again. So a database outage here is waited out, not thrown to the broker.
    /// </summary>
    private async Task<int> RecordAfterSendAsync(AttemptRecord record)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var deadline = timeProvider.GetUtcNow() + _options.RecordOutageTolerance;
        while (true)
        {
            try
            {
                return await store.RecordAsync(record, CancellationToken.None);
            }
            catch (Exception exception) when (timeProvider.GetUtcNow() < deadline
                && exception is Npgsql.NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or InvalidOperationException)
            {
                Log.RecordRetry(logger, record.EmailId, exception.Message, delay);
                await Task.Delay(delay, timeProvider);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private SendFailure? CheckWire(ComposedEmail email)
    {
        var settings = limits.Value;
        if (email.SizeBytes >= settings.MaxMessageBytes)
            return SendFailure.Of(ErrorCodes.EmailContentToolarge, $"The message is {email.SizeBytes} bytes on the wire; it must stay below {settings.MaxMessageBytes}.");
        // The provider measures the body as sent (base64 adds a third), not as the producer wrote it.
        if (email.BodyBytes > settings.MaxBodyBytes)
            return SendFailure.Of(ErrorCodes.EmailContentToolarge, $"The body is {email.BodyBytes} bytes as sent, without attachments; at most {settings.MaxBodyBytes} are allowed.");
        if (email.LongestLine > settings.MaxLineLength)
            return new SendFailure(ErrorCodes.LineTooLong, $"A line of {email.LongestLine} characters; the provider refuses lines of 2000 or more.", FailureClass.Permanent);
        return null;
    }

    private async Task FinishAsync(ConsumeContext<SendEmail> context, SendFailure failure, DateTimeOffset started, SmtpSendResult? reply,
        bool countsAsAttempt, int attempts, ComposedEmail? email)
    {
        var command = context.Message;
        var deadLetter = failure.Class is FailureClass.Oversize or FailureClass.RateLimited;
        // A transient failure arrives here only when its attempts are used up: the email fails.
        var status = deadLetter ? EmailStatus.DeadLettered : EmailStatus.Failed;
        if (deadLetter)
            await deadLetters.RouteAsync(context, failure, attempts + (countsAsAttempt ? 1 : 0), context.CancellationToken);

        var outcome = failure.Class switch
        {
            FailureClass.Oversize => "oversize",
            FailureClass.RateLimited => "rate_limited",
            FailureClass.Transient => "transient",
            _ => "permanent",
        };
        attempts = await RecordAfterSendAsync(new AttemptRecord
        {
            EmailId = command.EmailId,
            WorkerId = _workerId,
            StartedAt = started,
            Outcome = outcome,
            NewStatus = status,
            SmtpStatus = reply?.Reply?.Status,
            EnhancedCode = reply?.Reply?.EnhancedCode,
            Code = failure.Code,
            Message = failure.Message,
            RequestId = reply?.Reply?.RequestId,
            SmtpReply = reply?.Reply?.ToString(),
            MessageId = email?.MessageId,
            SizeBytes = email?.SizeBytes,
            Sha256 = email?.Sha256,
            CountsAsAttempt = countsAsAttempt,
        });

        metrics.RecordOutcome(status);
        Log.Failed(logger, command.EmailId, command.AppId, status, failure.Code, failure.Message);
        await context.Publish(new EmailSendFailed
        {
            EmailId = command.EmailId,
            AppId = command.AppId,
            Status = status,
            Code = failure.Code,
            Message = failure.Message,
            Attempts = attempts,
            FailedAt = timeProvider.GetUtcNow(),
            CorrelationId = command.CorrelationId,
        }, context.CancellationToken);
    }

    private AttemptRecord Record(SendEmail command, DateTimeOffset started, string outcome, string status, SmtpSendResult? result, ComposedEmail email) => new()
    {
        EmailId = command.EmailId,
        WorkerId = _workerId,
        StartedAt = started,
        Outcome = outcome,
        NewStatus = status,
        SmtpStatus = result?.Reply?.Status,
        EnhancedCode = result?.Reply?.EnhancedCode,
        Code = result?.Failure?.Code,
        Message = result?.Failure?.Message,
        RequestId = result?.Reply?.RequestId,
        SmtpReply = result?.Reply?.ToString(),
        MessageId = email.MessageId,
        SizeBytes = email.SizeBytes,
        Sha256 = email.Sha256,
    };

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Email {EmailId} is already {Status}: acknowledged without sending again")]
        public static partial void AlreadyCompleted(ILogger logger, Guid emailId, string status);

        [LoggerMessage(2002, LogLevel.Debug, "Email {EmailId} for appId {AppId} sent as {MessageId} after {Attempts} attempt(s)")]
        public static partial void Sent(ILogger logger, Guid emailId, string appId, string messageId, int attempts);

        [LoggerMessage(2003, LogLevel.Warning, "Email {EmailId} for appId {AppId} ended {Status}: {Code} {Reason}")]
        public static partial void Failed(ILogger logger, Guid emailId, string? appId, string status, string code, string reason);

        [LoggerMessage(2004, LogLevel.Information, "Email {EmailId} failed transiently ({Code}) on attempt {Attempts}; retrying in {Delay}")]
        public static partial void Retrying(ILogger logger, Guid emailId, string code, int attempts, TimeSpan delay);

        [LoggerMessage(2005, LogLevel.Information, "Email {EmailId} deferred to {Queue} ({Code}) until {Until}")]
        public static partial void Deferred(ILogger logger, Guid emailId, string queue, string code, DateTimeOffset until);

        [LoggerMessage(2006, LogLevel.Warning, "Recording the outcome of email {EmailId} failed ({Reason}); retrying in {Delay}")]
        public static partial void RecordRetry(ILogger logger, Guid emailId, string reason, TimeSpan delay);
    }
}
