using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Persistence.History;
using SesWorker.Worker.DeadLettering;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Smtp;

namespace SesWorker.Worker.Sending;

/// <summary>
/// Carries out a <see cref="SendDecision"/>: moves the message where the decision says (a delay queue, a dead-letter
/// queue, nowhere), then records the outcome fenced by the claim, then publishes the event. A message leaves for its
/// queue before the row moves, so a crash in between leaves a duplicate, never a loss.
/// </summary>
public sealed partial class OutcomeRecorder(
    EmailStore store,
    DeadLetterRouter deadLetters,
    SendThrottle throttle,
    SendMetrics metrics,
    TimeProvider timeProvider,
    ILogger<OutcomeRecorder> logger)
{
    public async Task CarryOutAsync(SendJob job, SendDecision decision, SmtpSendResult? result, ComposedEmail? email)
    {
        ArgumentNullException.ThrowIfNull(job);
        var command = job.Command;
        var cancellationToken = job.Context.CancellationToken;
        var attempted = result is { NotSent: false };
        switch (decision)
        {
            case SendDecision.Sent:
                var attempts = await RecordAsync(Record(job, AttemptOutcome.Sent, EmailStatus.Sent, result, email));
                if (attempts is null)
                    return;
                metrics.RecordOutcome(EmailStatus.Sent);
                Log.Sent(logger, command.EmailId, command.AppId!, email!.MessageId, attempts.Value);
                // Not awaited here: MassTransit keeps the publish among the message's consume tasks and acknowledges
                // the message only once the broker confirmed it (a failure faults the message as before, and its
                // redelivery finds the email done). Meanwhile the send's turn and bytes go back to the next one, a
                // confirm's round trip sooner.
                _ = job.Context.Publish(new EmailSent
                {
                    EmailId = command.EmailId,
                    AppId = command.AppId!,
                    MessageId = email.MessageId,
                    SmtpReply = result?.Reply?.ToString() ?? "250",
                    Attempts = attempts.Value,
                    SentAt = timeProvider.GetUtcNow(),
                    CorrelationId = command.CorrelationId,
                }, cancellationToken);
                return;

            case SendDecision.RetryAfter retry:
                var failure = result!.Failure!;
                var until = timeProvider.GetUtcNow() + retry.Delay;
                var queue = await deadLetters.DeferAsync(job.Context, failure.Code, failure.Message, until, cancellationToken);
                var status = retry.Unknown ? EmailStatus.Unknown : EmailStatus.Retrying;
                var outcome = retry.Unknown ? AttemptOutcome.Unknown : AttemptOutcome.Transient;
                var retried = await RecordAsync(Record(job, outcome, status, result, email) with
                {
                    CountsAsAttempt = retry.CountsAsAttempt,
                    NotSent = result.NotSent,
                    DueAt = until,
                });
                if (retried is null)
                    return;
                metrics.RecordOutcome(status);
                Log.Retrying(logger, command.EmailId, failure.Code, retried.Value, retry.Delay, queue);
                return;

            case SendDecision.DeferUntil defer:
                await DeferAsync(job, email, defer.Until, result!.Failure!.Code, defer.Reason, result);
                return;

            case SendDecision.PauseApp pause:
                var reason = EmailSendHandler.PauseReason(command.AppId!, pause.Until);
                var pausedUntil = await PauseAppAsync(command.AppId!, result!.Failure!.Code, reason, pause.Until);
                await DeferAsync(job, email, pausedUntil, result.Failure.Code,
                    $"{EmailSendHandler.PauseReason(command.AppId!, pausedUntil)} Provider: {result.Failure.Message}", result);
                return;

            case SendDecision.DeadLetter deadLetter:
                var dead = deadLetter.Failure;
                await deadLetters.RouteAsync(job.Context, dead, job.Attempts + (attempted ? 1 : 0), cancellationToken);
                // The step shows in the email's history; the dead-lettered copy and the attempt keep the provider's words.
                if (deadLetter.StepDownRate && await StepDownAsync(command.AppId!) is { } rate)
                    dead = dead with { Message = $"{dead.Message} (appId {command.AppId}: rate stepped down to {rate.ToString("F2", CultureInfo.InvariantCulture)}/s for every replica)" };
                await FinishAsync(job, dead, EmailStatus.DeadLettered, attempted, result, email);
                return;

            case SendDecision.Fail fail:
                await FinishAsync(job, fail.Failure, EmailStatus.Failed, attempted, result, email, fail.Unknown);
                return;

            default:
                throw new InvalidOperationException($"Unknown decision {decision}.");
        }
    }

    /// <summary>Parks the email in a delay queue and records why, with the SMTP attempt that led here if there was one.</summary>
    public async Task DeferAsync(SendJob job, ComposedEmail? email, DateTimeOffset until, string code, string reason, SmtpSendResult? result)
    {
        ArgumentNullException.ThrowIfNull(job);
        var queue = await deadLetters.DeferAsync(job.Context, code, reason, until, job.Context.CancellationToken);
        var attempted = result is { NotSent: false };
        var recorded = await RecordAsync(Record(job, attempted ? AttemptOutcome.Transient : AttemptOutcome.Deferred, EmailStatus.Deferred, result, email) with
        {
            Code = code,
            Message = reason,
            CountsAsAttempt = attempted,
            NotSent = result is { NotSent: true },
            DueAt = until,
        });
        // Fenced (the claim is another worker's now): that worker's outcome is the one counted and logged.
        if (recorded is null)
            return;
        metrics.RecordOutcome(EmailStatus.Deferred);
        Log.Deferred(logger, job.Command.EmailId, queue, code, until);
    }

    /// <summary>
    /// Claimed before the email is due (back early from a delay queue, or a copy that claimed an email parked until
    /// later): round again until <paramref name="until"/>, and hand the claim back untouched, as <paramref name="status"/>
    /// and still due then. Parked before the release, as every deferral: a crash in between leaves a duplicate.
    /// </summary>
    public async Task DeferAgainAsync(SendJob job, DateTimeOffset until, string code, string reason, string status = EmailStatus.Deferred)
    {
        ArgumentNullException.ThrowIfNull(job);
        await deadLetters.DeferAsync(job.Context, code, reason, until, job.Context.CancellationToken);
        await store.ReleaseAsync(job.Command.EmailId, job.ClaimToken, status, until, job.Context.CancellationToken);
    }

    /// <summary>
    /// A copy this worker may not claim (another owns the email): round the held queue's wait, no write at all. It looks
    /// at the claim again every second, and is sent as soon as the owner is done or counts as gone (<paramref name="until"/>
    /// says when that is at the latest, for operators reading the headers).
    /// </summary>
    public async Task DeferUnclaimedAsync(ConsumeContext<SendEmail> context, DateTimeOffset until, string code, string reason)
    {
        ArgumentNullException.ThrowIfNull(context);
        var queue = await deadLetters.HoldAsync(context, code, reason, until, context.CancellationToken);
        Log.Deferred(logger, context.Message.EmailId, queue, code, until);
    }

    private async Task FinishAsync(SendJob job, SendFailure failure, string status, bool attempted, SmtpSendResult? result, ComposedEmail? email,
        bool unknown = false)
    {
        var command = job.Command;
        // The last try's connection died after DATA began: the email ends failed, and its attempt says that the provider
        // may have it, as every other such attempt does.
        var outcome = unknown ? AttemptOutcome.Unknown : failure.Class switch
        {
            FailureClass.Oversize => AttemptOutcome.Oversize,
            FailureClass.RateLimited => AttemptOutcome.RateLimited,
            FailureClass.Transient => AttemptOutcome.Transient,
            _ => AttemptOutcome.Permanent,
        };
        var attempts = await RecordAsync(Record(job, outcome, status, result, email) with
        {
            Code = failure.Code,
            Message = failure.Message,
            AttemptMessage = result?.Failure?.Message ?? failure.Message,
            CountsAsAttempt = attempted,
        });
        if (attempts is null)
            return;

        metrics.RecordOutcome(status);
        Log.Failed(logger, command.EmailId, command.AppId, status, failure.Code, failure.Message);
        // Kept among the message's consume tasks, as EmailSent is (above).
        _ = job.Context.Publish(new EmailSendFailed
        {
            EmailId = command.EmailId,
            AppId = command.AppId,
            Status = status,
            Code = failure.Code,
            Message = failure.Message,
            Attempts = attempts.Value,
            FailedAt = timeProvider.GetUtcNow(),
            CorrelationId = command.CorrelationId,
        }, job.Context.CancellationToken);
    }

    /// <summary>
    /// The outcome event of an email that is done, published again from its row for a copy the broker delivered again:
    /// the first copy is acknowledged only once its event is confirmed, so a copy back after a broker's restart or a
    /// lost connection may be one whose event never reached the broker. At least once: a subscriber may see it twice.
    /// </summary>
    public async Task PublishAgainAsync(ConsumeContext context, Guid emailId)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (await store.ReadOutcomeAsync(emailId, context.CancellationToken) is not { } done)
            return;
        if (done.Status == EmailStatus.Sent)
        {
            await context.Publish<EmailSent>(new EmailSent
            {
                EmailId = emailId,
                AppId = done.AppId ?? string.Empty,
                MessageId = done.MessageId ?? string.Empty,
                SmtpReply = done.SmtpReply ?? "250",
                Attempts = done.Attempts,
                SentAt = done.CompletedAt,
                CorrelationId = done.CorrelationId,
            }, MarkRepublished, context.CancellationToken);
        }
        else
        {
            await context.Publish<EmailSendFailed>(new EmailSendFailed
            {
                EmailId = emailId,
                AppId = done.AppId,
                Status = done.Status,
                Code = done.FailureCode ?? string.Empty,
                Message = done.FailureMessage ?? string.Empty,
                Attempts = done.Attempts,
                FailedAt = done.CompletedAt,
                CorrelationId = done.CorrelationId,
            }, MarkRepublished, context.CancellationToken);
        }

        Log.PublishedAgain(logger, emailId, done.Status);
    }

    /// <summary>The header on an outcome event published again for a copy (<see cref="PublishAgainAsync"/>): the outcome
    /// was counted when it was first published (<see cref="Observability.OutcomeMetrics"/>), and a subscriber can tell.</summary>
    public const string RepublishedHeader = "sesworker-republished";

    private static void MarkRepublished(PublishContext context) => context.Headers.Set(RepublishedHeader, true);

    /// <summary>
    /// The step-down after a throttled reply: the dead-lettered copy is out already and the outcome must still be
    /// written, so a database that does not answer (or a consume cut meanwhile) skips the step, logged, instead of
    /// throwing past the outcome: thrown, the claim ran again, recorded a false unknown and sent at once, unstepped.
    /// The provider's next throttled reply steps the rate down.
    /// </summary>
    private Task<double?> StepDownAsync(string appId) =>
        UpdateLimiterAsync(appId, "rate step-down", ct => throttle.StepDownAsync(appId, ct), null);

    /// <summary>
    /// The appId's pause for the daily quota, on the database's clock; as <see cref="StepDownAsync"/>, a database that
    /// does not answer leaves the email deferred to <paramref name="fallback"/> (the provider's next day on this worker's
    /// clock) rather than throwing past its outcome. Other replicas meet the quota themselves and pause then.
    /// </summary>
    private Task<DateTimeOffset> PauseAppAsync(string appId, string code, string reason, DateTimeOffset fallback) =>
        UpdateLimiterAsync(appId, "pause", ct => throttle.PauseAsync(appId, code, reason, ct), fallback);

    /// <summary>A limiter update bounded to 5 s; <paramref name="fallback"/>, logged (2017), when the database does not answer.</summary>
    private async Task<T> UpdateLimiterAsync<T>(string appId, string change, Func<CancellationToken, Task<T>> update, T fallback)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await update(timeout.Token);
        }
        catch (Exception exception) when (DatabaseOutage.IsOutage(exception) || exception is OperationCanceledException)
        {
            Log.LimiterNotUpdated(logger, appId, change, exception.Message);
            return fallback;
        }
    }

    /// <summary>
    /// After an SMTP transaction the outcome must be written before anything else happens: re-running the consumer
    /// would send again, and only this process knows what the provider answered. So a database outage here is waited
    /// out, however long, not thrown to the broker (the message stays unacknowledged meanwhile; a worker stopped while
    /// it waits leaves the email to be taken over and recorded <c>unknown</c>, as any worker that died after DATA).
    /// A write the database refuses for any other reason is not re-run: see <see cref="OutcomeNotRecordedException"/>.
    /// Null: the claim was lost.
    /// </summary>
    private async Task<int?> RecordAsync(AttemptRecord record)
    {
        int? attempts;
        try
        {
            attempts = await DatabaseOutage.WriteFencedAsync(
                () => store.RecordAsync(record, CancellationToken.None),
                () => store.FindRecordedAsync(record, CancellationToken.None),
                timeProvider,
                (exception, waited, delay) => Log.RecordRetry(logger, record.EmailId, record.NewStatus, exception.Message, waited, delay));
        }
        catch (Exception exception)
        {
            Log.NotRecorded(logger, exception, record.EmailId, record.NewStatus);
            throw new OutcomeNotRecordedException(record.EmailId, record.NewStatus, exception);
        }

        if (attempts is null)
            Log.Fenced(logger, record.EmailId, record.NewStatus);
        return attempts;
    }

    private static AttemptRecord Record(SendJob job, string outcome, string status, SmtpSendResult? result, ComposedEmail? email) => new()
    {
        EmailId = job.Command.EmailId,
        WorkerId = job.WorkerId,
        ClaimToken = job.ClaimToken,
        StartedAt = job.Started,
        Outcome = outcome,
        NewStatus = status,
        SmtpStatus = result?.Reply?.Status,
        EnhancedCode = result?.Reply?.EnhancedCode,
        Code = result?.Failure?.Code,
        Message = result?.Failure?.Message,
        RequestId = result?.Reply?.RequestId,
        SmtpReply = result?.Reply?.ToString(),
        MessageId = email?.MessageId,
        SizeBytes = email?.SizeBytes,
        Sha256 = email?.Sha256,
        CountsAsAttempt = result is { NotSent: false },
        NotSent = result is { NotSent: true },
    };

    private static partial class Log
    {
        [LoggerMessage(2002, LogLevel.Debug, "Email {EmailId} for appId {AppId} sent as {MessageId} after {Attempts} attempt(s)")]
        public static partial void Sent(ILogger logger, Guid emailId, string appId, string messageId, int attempts);

        [LoggerMessage(2003, LogLevel.Warning, "Email {EmailId} for appId {AppId} ended {Status}: {Code} {Reason}")]
        public static partial void Failed(ILogger logger, Guid emailId, string? appId, string status, string code, string reason);

        [LoggerMessage(2004, LogLevel.Information, "Email {EmailId} failed transiently ({Code}) after {Attempts} attempt(s); retrying in {Delay} through {Queue}")]
        public static partial void Retrying(ILogger logger, Guid emailId, string code, int attempts, TimeSpan delay, string queue);

        [LoggerMessage(2005, LogLevel.Information, "Email {EmailId} deferred to {Queue} ({Code}) until {Until}")]
        public static partial void Deferred(ILogger logger, Guid emailId, string queue, string code, DateTimeOffset until);

        [LoggerMessage(2006, LogLevel.Warning, "Recording the outcome {Status} of email {EmailId} failed ({Reason}), the database away for {Waited}; retrying in {Delay}")]
        public static partial void RecordRetry(ILogger logger, Guid emailId, string status, string reason, TimeSpan waited, TimeSpan delay);

        [LoggerMessage(2016, LogLevel.Error, "The outcome {Status} of email {EmailId} was refused by the database; the message goes to its error queue and the email stays sending until it is redriven")]
        public static partial void NotRecorded(ILogger logger, Exception exception, Guid emailId, string status);

        [LoggerMessage(2013, LogLevel.Information, "Email {EmailId} is already {Status}; its copy came back from the broker, so its outcome event was published again")]
        public static partial void PublishedAgain(ILogger logger, Guid emailId, string status);

        [LoggerMessage(2017, LogLevel.Warning, "The {Change} of appId {AppId} was not written ({Reason}); the email's outcome is recorded without it")]
        public static partial void LimiterNotUpdated(ILogger logger, string appId, string change, string reason);

        [LoggerMessage(2009, LogLevel.Warning, "Email {EmailId}: the outcome {Status} was not recorded, the claim belongs to another worker now")]
        public static partial void Fenced(ILogger logger, Guid emailId, string status);
    }
}
