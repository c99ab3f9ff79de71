using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;
using SesWorker.Persistence.History;
using SesWorker.Worker.Accounts;
using SesWorker.Worker.DeadLettering;
using SesWorker.Worker.Limiting;
using SesWorker.Worker.Smtp;
using SesWorker.Messaging;

namespace SesWorker.Worker.Sending;

/// <summary>
/// One SendEmail, start to end: claim by EmailId, check, compose, take a slot, send on a pooled connection, then
/// carry out what <see cref="SendPolicy"/> decided. Nothing here waits for another worker, a retry backoff or a
/// far-away slot: such a message goes round a delay queue and the consumer slot is free at once.
/// </summary>
public sealed partial class EmailSendHandler(
    EmailStore store,
    SendEmailValidator validator,
    MimeComposer composer,
    AccountRegistry accounts,
    SmtpSender sender,
    SendThrottle throttle,
    SendPolicy policy,
    OutcomeRecorder outcomes,
    InFlightEmails inFlight,
    IOptions<RateLimitingOptions> throttleOptions,
    IOptions<WorkerOptions> options,
    WorkerIdentity identity,
    Hosting.HeartbeatRun beats,
    TimeProvider timeProvider,
    ILogger<EmailSendHandler> logger)
{
    internal const string MissingEmailId = "emailId is missing or all zeros: it is the idempotency key, so the message cannot be recorded.";

    private readonly WorkerOptions _options = options.Value;
    private readonly string _workerId = identity.Id;

    public async Task HandleAsync(ConsumeContext<SendEmail> context)
    {
        var command = context.Message;
        if (command.EmailId == Guid.Empty)
            throw new InvalidEmailIdException(MissingEmailId);
        if (!inFlight.TryEnter(command.EmailId))
        {
            // A second copy inside this process: this worker is sending the first one right now.
            await outcomes.DeferUnclaimedAsync(context, timeProvider.GetUtcNow() + TimeSpan.FromSeconds(1), ErrorCodes.HeldElsewhere,
                $"Email {command.EmailId} is being sent by this worker ({_workerId}).");
            return;
        }

        try
        {
            await HandleOwnedAsync(context);
        }
        finally
        {
            inFlight.Exit(command.EmailId);
        }
    }

    /// <summary>
    /// A message whose emailId could be read but whose rest could not: its row says why, <c>failed</c> with
    /// <paramref name="code"/>. A copy of an email that is already done or in another worker's hands changes nothing
    /// (a copy of a done one is counted on its row).
    /// </summary>
    public async Task RecordMalformedAsync(ConsumeContext<SendEmail> context, string code, string reason)
    {
        var command = context.Message;
        // A claim of this worker's own is a claim it may take again (that is how a copy finds it after a cut consume), so
        // the email this process is sending right now is kept from the malformed copy here, as from a valid one
        // (HandleAsync): claimed, it would be recorded failed while its good copy is being accepted, and fence that
        // copy's outcome out.
        if (!inFlight.TryEnter(command.EmailId))
        {
            Log.MalformedCopy(logger, command.EmailId, $"{EmailStatus.Sending} by this worker", reason);
            return;
        }

        try
        {
            var claim = await store.ClaimAsync(command, _workerId, _options.TakeoverAfter, beats.MayTakeOver(_options.TakeoverAfter), allowDeadLettered: false, CancellationToken.None);
            if (claim.State != ClaimState.Claimed)
            {
                Log.MalformedCopy(logger, command.EmailId, claim.Status, reason);
                return;
            }

            var job = new SendJob(context, claim.Token, _workerId, claim.Attempts, timeProvider.GetUtcNow());
            await outcomes.CarryOutAsync(job, new SendDecision.Fail(new SendFailure(code, reason, FailureClass.Permanent)), null, null);
        }
        finally
        {
            inFlight.Exit(command.EmailId);
        }
    }

    private async Task HandleOwnedAsync(ConsumeContext<SendEmail> context)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        // A copy back from a dead-letter queue (an operator's redrive, or the rate-limited queue's TTL) may leave
        // dead_lettered; any other copy of a dead-lettered email is a duplicate.
        var redriven = (context.Headers.Get<bool>(DeadLetterHeaders.Redriven) ?? false)
            || context.Headers.Get<string>(DeadLetterHeaders.Reason) == DeadLetterHeaders.ReasonRateLimited;

        // Not cancelled by the consume: a claim that commits while its answer is cut would leave this live worker holding an
        // email it no longer works on (the hand-back below needs its token). A claim is one short round trip, bounded by
        // the pool's command timeout.
        var claim = await store.ClaimAsync(command, _workerId, _options.TakeoverAfter, beats.MayTakeOver(_options.TakeoverAfter), allowDeadLettered: redriven, CancellationToken.None);
        switch (claim.State)
        {
            case ClaimState.AlreadyCompleted:
                Log.AlreadyCompleted(logger, command.EmailId, claim.Status);
                // Delivered before and not acknowledged (which waits for the outcome event's confirm): the event may
                // never have reached the broker. So may a copy that waited in the held queue after such a delivery.
                if (DeadLetterRouter.WasRedelivered(context))
                    await outcomes.PublishAgainAsync(context, command.EmailId);
                return;
            case ClaimState.HeldElsewhere:
                // Back when the owner would count as gone, if it stops beating; it is usually done long before.
                var back = timeProvider.GetUtcNow() + Max(claim.OwnerStaleIn ?? TimeSpan.Zero, TimeSpan.FromSeconds(1));
                await outcomes.DeferUnclaimedAsync(context, back, ErrorCodes.HeldElsewhere, $"Email {command.EmailId} is being sent by another worker.");
                return;
        }

        if (claim.RecoveredUnknown)
            Log.TookOver(logger, command.EmailId, claim.Attempts);

        var job = new SendJob(context, claim.Token, _workerId, claim.Attempts, timeProvider.GetUtcNow());
        try
        {
            await SendClaimedAsync(context, claim, job);
        }
        catch (Exception exception) when (exception is OutcomeNotRecordedException
            || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // The consume was cut (the broker's connection lost, or the process stopping) before an outcome, or its
            // outcome was refused and it goes to the error queue: the next copy (a redelivery, a redrive) may reach
            // either worker, and the claim must not stay with this one, which is alive and no longer working on it.
            // Handed back with its transmitting mark, so that copy records unknown.
            await HandBackAsync(job);
            throw;
        }
    }

    private async Task SendClaimedAsync(ConsumeContext<SendEmail> context, ClaimResult claim, SendJob job)
    {
        var command = context.Message;
        var cancellationToken = context.CancellationToken;
        // Claimed before the email is due (NotBefore): go round again rather than send before the time.
        var code = context.Headers.Get<string>(DeadLetterHeaders.Code) ?? ErrorCodes.RecipientHourlyCap;
        var deferredHeader = context.Headers.Get<string>(DeadLetterHeaders.DeferredUntil);
        if (NotBefore(code, deferredHeader, claim.DueAt, job.Started) is { } deferredUntil)
        {
            if (code == ErrorCodes.HeldElsewhere || deferredHeader is null)
            {
                // Parked by another copy: this one waits with it, under its code (not HeldElsewhere: back, it is a retry,
                // not a takeover that asks for its slot ahead of the queue).
                var dueCode = claim.DueCode ?? ErrorCodes.RecipientHourlyCap;
                var status = claim.Status is EmailStatus.Retrying or EmailStatus.Unknown ? claim.Status : EmailStatus.Deferred;
                await outcomes.DeferAgainAsync(job, deferredUntil, dueCode,
                    $"Email {command.EmailId} is {claim.Status} until {deferredUntil:O} ({dueCode}); this copy waits for that time too.", status);
                return;
            }

            var reason = context.Headers.Get<string>(DeadLetterHeaders.ProviderMessage) ?? "deferred";
            await outcomes.DeferAgainAsync(job, deferredUntil, code, reason);
            return;
        }

        if (validator.Validate(command) is { } invalid)
        {
            await outcomes.CarryOutAsync(job, BeforeSending(invalid), null, null);
            return;
        }

        var email = composer.Compose(command, claim.CreatedAt);
        var credential = accounts.Find(command.AppId!, command.From!.Address);
        if ((validator.ValidateWire(email) ?? CheckAccount(command, credential)) is { } refused)
        {
            await outcomes.CarryOutAsync(job, BeforeSending(refused), null, email);
            return;
        }

        if (throttle.KnownPause(command.AppId!, timeProvider.GetUtcNow()) is { } pausedUntil)
        {
            await outcomes.DeferAsync(job, email, pausedUntil, ErrorCodes.ExceedSendLimit, PauseReason(command.AppId!, pausedUntil), null);
            return;
        }

        var recipients = command.To!.Select(t => t.Address).ToArray();
        var cap = await throttle.CheckRecipientCapAsync(command.From!.Address, recipients, cancellationToken);
        if (cap.BlockedUntil is { } freeAt)
        {
            var reason = $"{command.From.Address} reached {throttleOptions.Value.RecipientCap} mails per {throttleOptions.Value.RecipientWindow} to a recipient; deferred until {freeAt:O}.";
            await outcomes.DeferAsync(job, email, freeAt, ErrorCodes.RecipientHourlyCap, reason, null);
            return;
        }

        job = job with { Started = timeProvider.GetUtcNow() };
        // A copy that waited in the held queue for another worker's claim, or one that found its owner gone: a takeover,
        // which asks for its slot ahead of the appId's queued sends in this process.
        var takingOver = code == ErrorCodes.HeldElsewhere || claim.RecoveredUnknown;
        SmtpSendResult result;
        // The cap counts mails the provider may have: accepted, or lost after DATA. Not a try that never reached it, one
        // it refused outright, nor a send given up (paused, fenced, the consume cut, the slot's wait past its bound).
        var mayHaveReached = false;
        try
        {
            result = await sender.SendAsync(credential!, email,
                async ct => await throttle.AcquireAsync(command.AppId!, command.EmailId, claim.Token, takingOver, email.SizeBytes, ct) ?? throw new ClaimLostException(command.EmailId),
                throttle, cancellationToken);
            mayHaveReached = !result.NotSent && (result.Failure is null || result.Unknown);
        }
        catch (AppPausedException paused)
        {
            await outcomes.DeferAsync(job, email, paused.Until, ErrorCodes.ExceedSendLimit, PauseReason(command.AppId!, paused.Until), null);
            return;
        }
        catch (ClaimLostException)
        {
            // Fenced: this worker stalled past the takeover time and another one owns the email now.
            Log.LostClaim(logger, command.EmailId);
            return;
        }
        finally
        {
            if (!mayHaveReached)
                await throttle.ReleaseRecipientCapAsync(command.From.Address, recipients, cap);
        }

        var decision = policy.Decide(result.ToSendResult(), new AttemptHistory(claim.Attempts, claim.NotSentSince), timeProvider.GetUtcNow(), Random.Shared.NextDouble());
        await outcomes.CarryOutAsync(job, decision, result, email);
    }

    private async Task HandBackAsync(SendJob job)
    {
        try
        {
            // Not the consume's token: it is cancelled already. A database that does not answer within seconds leaves the
            // claim to the heartbeat's time-out, as before.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (await store.HandBackAsync(job.Command.EmailId, job.ClaimToken, timeout.Token))
                Log.HandedBack(logger, job.Command.EmailId);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            Log.HandBackFailed(logger, job.Command.EmailId, exception.Message);
        }
    }

    /// <summary>A refusal found before any SMTP call: the same decisions, without an attempt.</summary>
    private static SendDecision BeforeSending(SendFailure failure) => failure.Class is FailureClass.Oversize or FailureClass.RateLimited
        ? new SendDecision.DeadLetter(failure, StepDownRate: false)
        : new SendDecision.Fail(failure);

    private SendFailure? CheckAccount(SendEmail command, SmtpCredential? credential)
    {
        if (!accounts.HasAccount(command.AppId!))
            return new SendFailure(ErrorCodes.UnknownAccount, $"AppId {command.AppId} is not configured on this worker.", FailureClass.Permanent);
        if (credential is null)
            return new SendFailure(ErrorCodes.UnknownSender, $"Sender {command.From!.Address} has no SMTP password configured for appId {command.AppId}.", FailureClass.Permanent);
        return null;
    }

    internal static string PauseReason(string appId, DateTimeOffset until) =>
        $"AppId {appId} spent its daily quota (FailedOperation.ExceedSendLimit); sending resumes at {until:O}, the provider's next day.";

    /// <summary>
    /// When a copy that has claimed its email must go round again instead of sending, or null to send now. A copy back
    /// early from a delay queue (tiers are coarse) waits for its own deferral (<paramref name="deferredHeader"/>), except
    /// one that waited for another worker (<paramref name="code"/> HeldElsewhere): it waited for the claim and has it,
    /// and its header only told operators when the owner would count as gone. And any copy waits for the time the email
    /// itself is due (<paramref name="dueAt"/>, <see cref="ClaimResult.DueAt"/>): when the first copy met a 4xx or
    /// TemporaryBlocked, it was parked in a delay queue and the row says until when. Before, a copy held meanwhile claimed
    /// the row a second later and sent, ahead of the backoff or the 10-minute wait, at a provider that had asked for it.
    /// The parked copy stays parked; whichever copy claims it first when it is due sends, the other finds it done.
    /// Within a second of the time counts as due.
    /// </summary>
    internal static DateTimeOffset? NotBefore(string code, string? deferredHeader, DateTimeOffset? dueAt, DateTimeOffset now)
    {
        var due = now + TimeSpan.FromSeconds(1);
        if (dueAt > due)
            return dueAt;
        if (code != ErrorCodes.HeldElsewhere
            && deferredHeader is not null
            && DateTimeOffset.TryParse(deferredHeader, CultureInfo.InvariantCulture, DateTimeStyles.None, out var deferredUntil)
            && deferredUntil > due)
            return deferredUntil;
        return null;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Email {EmailId} is already {Status}: acknowledged without sending again")]
        public static partial void AlreadyCompleted(ILogger logger, Guid emailId, string status);

        [LoggerMessage(2007, LogLevel.Warning, "Email {EmailId} was taken over from a worker that stopped during its SMTP transaction: recorded unknown (attempt {Attempts}) and sent again")]
        public static partial void TookOver(ILogger logger, Guid emailId, int attempts);

        [LoggerMessage(2011, LogLevel.Information, "A malformed copy of email {EmailId}, which is {Status}, was acknowledged without change: {Reason}")]
        public static partial void MalformedCopy(ILogger logger, Guid emailId, string status, string reason);

        [LoggerMessage(2008, LogLevel.Warning, "Email {EmailId}: this worker lost its claim (it stalled past the takeover time); another worker owns it, nothing sent")]
        public static partial void LostClaim(ILogger logger, Guid emailId);

        [LoggerMessage(2014, LogLevel.Information, "Email {EmailId}: its consume was cut before an outcome; the claim is handed back for the next copy")]
        public static partial void HandedBack(ILogger logger, Guid emailId);

        [LoggerMessage(2015, LogLevel.Warning, "Email {EmailId}: could not hand back the claim of a cut consume ({Reason}); it waits for this worker's heartbeat time-out or a copy reaching this worker")]
        public static partial void HandBackFailed(ILogger logger, Guid emailId, string reason);
    }
}
