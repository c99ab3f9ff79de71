using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Core.Limiting;
using SesWorker.Persistence.Limiting;
using SesWorker.Worker.Smtp;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// Gets a send its slot: the appId's rate (shared by all replicas through PostgreSQL) and the sender to recipient
/// hourly cap. Waiting is not a failure and not an attempt: it is measured in <see cref="SendMetrics"/>. If
/// PostgreSQL cannot be reached the exception escapes: no slot, no send (fail closed).
/// </summary>
/// <remarks>
/// The provider counts a call when the message reaches it: the end of DATA. A slot is that moment. The send
/// starts its transaction one lead earlier (MAIL FROM; the lead is what MAIL, RCPT and DATA take to be answered)
/// and holds the content until the slot, so the calls reach the provider spaced by the interval however far away
/// it is and however its replies jitter: the rate does not depend on the reply latency. Where the slot lies a lead from
/// its reservation rather than right after the slots before it (an appId sending below its rate), the content goes at
/// the go-ahead instead, once the slots before it leave room: an appId with room does not wait out a lead estimated
/// for the slowest replies on every send (<see cref="SendSlot.EarliestContentAt"/>). A send that reaches the wire
/// later than the margin allows moves only the slot a second's worth after it, or takes a fresh slot itself
/// (<see cref="KeepOrReplaceAsync"/>).
/// </remarks>
public sealed partial class SendThrottle(
    PostgresRateLimiter limiter,
    RecipientCapStore recipientCaps,
    SendMetrics metrics,
    TransactionDeadline deadline,
    IOptions<RateLimitingOptions> options,
    ILogger<SendThrottle> logger)
{
    private static readonly long Origin = Stopwatch.GetTimestamp();
    private readonly RateLimitingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, AppLimit> _apps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pauses = new(StringComparer.Ordinal);
    private readonly StatementClock _clock = new();
    private readonly RecentHigh _excuseTrips = new();
    private readonly ProviderLatency _provider = new(options.Value.InitialLead, AppLimit.MinimumLead, options.Value.MaxLead);

    /// <summary>What this process knows of a pause on the appId (no round trip): set by its own sends or by the limiter's answers.</summary>
    public DateTimeOffset? KnownPause(string appId, DateTimeOffset now) =>
        _pauses.TryGetValue(appId, out var until) && until > now ? until : null;

    /// <summary>The provider's daily quota is spent: no replica takes a slot for the appId until the provider's next day.</summary>
    public async Task<DateTimeOffset> PauseAsync(string appId, string code, string reason, CancellationToken cancellationToken)
    {
        var until = await limiter.PauseUntilProviderDayAsync(appId, code, reason, cancellationToken);
        _pauses[appId] = until;
        return until;
    }

    /// <summary>
    /// The provider throttled the appId although its sends were spaced: its rate steps down for every replica and
    /// climbs back over <see cref="RateLimitingOptions.PenaltyRecovery"/>. Returns the reduced rate, or null when a
    /// step was taken a moment ago (one burst of throttled replies is one step).
    /// </summary>
    public async Task<double?> StepDownAsync(string appId, CancellationToken cancellationToken)
    {
        var penalty = await limiter.StepDownAsync(appId, _options.PenaltyStep, _options.MaxPenalty, _options.PenaltyRecovery,
            TimeSpan.FromSeconds(1), cancellationToken);
        if (penalty is not { } factor)
            return null;
        var rate = _options.RateFor(appId) * (1 - _options.SafetyMargin) / factor;
        metrics.RecordRateStep(appId);
        Log.SteppedDown(logger, appId, rate, _options.PenaltyRecovery);
        return rate;
    }

    /// <summary>
    /// Counts the send when every recipient is under the cap (<see cref="RecipientCapCheck.RecordedAt"/>: hand it to
    /// <see cref="ReleaseRecipientCapAsync"/> if the mail then does not reach the provider); otherwise says when the
    /// window frees. The window is the provider's plus <see cref="RateLimitingOptions.RecipientWindowMargin"/>: an entry is
    /// written at this check, the provider counts the mail at its end of DATA, later by the slot's wait and the transaction.
    /// </summary>
    public async Task<RecipientCapCheck> CheckRecipientCapAsync(string sender, IEnumerable<string> recipients, CancellationToken cancellationToken)
    {
        if (!_options.RecipientCapEnabled)
            return default;
        return await recipientCaps.TryRecordAsync(sender, recipients, _options.RecipientCap,
            _options.RecipientWindow + _options.RecipientWindowMargin, cancellationToken);
    }

    /// <summary>
    /// Gives back a send's entry in the recipient cap: the mail did not reach the provider. Best effort: a database that
    /// does not answer leaves the entry, which only makes the cap stricter until the window passes.
    /// </summary>
    public async Task ReleaseRecipientCapAsync(string sender, IEnumerable<string> recipients, RecipientCapCheck check)
    {
        if (check.RecordedAt is not { } recordedAt)
            return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await recipientCaps.ReleaseAsync(sender, recipients, recordedAt, timeout.Token);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            Log.RecipientCapNotReleased(logger, sender, exception.Message);
        }
    }

    /// <summary>
    /// Reserves the appId's next slot for the email (and marks it as transmitting, fenced by its claim); the sender waits
    /// for the slot's start (<see cref="SendSlot.StartAt"/>), the moment MAIL FROM goes out. Returns null when the claim
    /// is no longer this worker's; throws <see cref="AppPausedException"/> when the appId is paused. Whether the start is
    /// still usable is decided at the socket (<see cref="ConfirmStartAsync"/>), after MailKit's and TLS's work.
    /// </summary>
    /// <param name="ahead">
    /// A takeover (a dead worker's email): it asks the database without queueing behind the appId's other sends in this
    /// process (<see cref="RateLimitingOptions.ContendersPerAppId"/>), which hold their turn to ask while they wait for
    /// the horizon to free; in a lane with a backlog that was seconds. It still takes the next free slot like any send.
    /// </param>
    /// <param name="sizeBytes">The message as sent: its content takes <see cref="RateLimitingOptions.TransferTime"/> to reach
    /// the provider, which counts the call at its end of DATA (<see cref="SendSlot.Transfer"/>).</param>
    public async Task<SendSlot?> AcquireAsync(string appId, Guid emailId, Guid claimToken, bool ahead, long sizeBytes, CancellationToken cancellationToken)
    {
        var app = _apps.GetOrAdd(appId, id => new AppLimit(id, _options, _provider));
        return await ReserveStartAsync(app, emailId, claimToken, ahead, _options.TransferTime(sizeBytes), Stopwatch.StartNew(), cancellationToken);
    }

    private async Task<SendSlot?> ReserveStartAsync(AppLimit app, Guid emailId, Guid claimToken, bool ahead, TimeSpan transfer, Stopwatch held,
        CancellationToken cancellationToken)
    {
        // Only a few sends per appId per process ask the database at once; the rest queue here, at no cost. A takeover
        // goes ahead (they are few: a dead worker's emails).
        if (!ahead)
            await app.Gate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                // The statement marks the email transmitting when it grants a slot: cut by the consume's token (the
                // broker's connection lost) after the database ran it, the email would be taken for one whose
                // transaction began, and recorded unknown. It runs to its answer unless the process is stopping; the
                // waits around it still end with the consume.
                cancellationToken.ThrowIfCancellationRequested();
                var reservation = await ReserveAsync(app, (emailId, claimToken), leadless: false, transfer, deadline.Token);
                var grant = reservation.Grant;
                switch (grant.Verdict)
                {
                    case RateLimitVerdict.Paused:
                        _pauses[app.AppId] = grant.PausedUntil!.Value;
                        throw new AppPausedException(app.AppId, grant.PausedUntil.Value);
                    case RateLimitVerdict.Fenced:
                        return null;
                    case RateLimitVerdict.Granted:
                        metrics.RecordWait(held.Elapsed + grant.Wait);
                        metrics.RecordSlot(belowRate: reservation.EarliestContentAt < reservation.ContentAt);
                        return new SendSlot(app.AppId, reservation.StartAt, reservation.ContentAt, grant.SlotAt, reservation.Uncertainty,
                            reservation.EarliestContentAt, grant.Allowance) { Transfer = transfer };
                }

                if (held.Elapsed > _options.MaxHold)
                    throw new RateLimitBacklogException(app.AppId, held.Elapsed);
                // The database queued this send for a place and says when the horizon reaches it: the sends waiting in
                // every replica come back one interval apart, not together (no jitter needed). A quarter interval at
                // least: a place held back by a late send's second is asked for again, not in a loop.
                var retry = grant.RetryAfter < app.Interval / 4 ? app.Interval / 4 : grant.RetryAfter;
                Log.Backlogged(logger, app.AppId, retry);
                await Task.Delay(retry, cancellationToken);
            }
        }
        finally
        {
            if (!ahead)
                app.Gate.Release();
        }
    }

    /// <summary>
    /// The last look at the clock before the MAIL FROM reaches the socket (<see cref="Smtp.PacingStream"/>): between
    /// <see cref="AcquireAsync"/> and the wire the command is formatted and encrypted, and a busy machine can preempt
    /// the thread there. See <see cref="KeepOrReplaceAsync"/> for what a late start does.
    /// </summary>
    public Task ConfirmStartAsync(SendSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slot);
        return KeepOrReplaceAsync(_apps[slot.AppId], slot, content: false, cancellationToken);
    }

    /// <summary>
    /// The provider has said go for the content: hold it until the slot (or only until the room before it, where the slot
    /// lies a lead from its reservation rather than right after the slots before it). A go-ahead later than the slot allows
    /// moves the later slots back or takes a fresh slot (no lead: the transaction is already open).
    /// </summary>
    public async Task GateContentAsync(SendSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var app = _apps[slot.AppId];
        // Measured from the planned start, not the actual one: a process that wakes up late (GC, a busy machine) needs
        // a longer lead as much as a slow provider does.
        app.Latency.ObserveLead(Stopwatch.GetElapsedTime(slot.StartAt));
        await KeepOrReplaceAsync(app, slot, content: true, cancellationToken);
        slot.ContentSentAt = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// The same check once more, immediately before the content's first bytes reach the socket
    /// (<see cref="Smtp.PacingStream"/>): MIME writing and encryption lie between the gate and the wire.
    /// </summary>
    public async Task ConfirmContentAsync(SendSlot slot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slot);
        await KeepOrReplaceAsync(_apps[slot.AppId], slot, content: true, cancellationToken);
        slot.ContentSentAt = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// The MAIL FROM (or the content's first bytes) is in the socket. The thread can be preempted between the last check
    /// and the system call, and then the call went out later than its slot allows with nothing holding it (on a loaded
    /// machine, 21 MAIL FROMs were counted in 989 ms that way). The lateness is recorded on the slot whatever it costs,
    /// as an excuse would, so the slot a second's worth later moves as much; if that one is given out already, the next
    /// free slot moves instead. Never throws: the bytes are out, and the send goes on.
    /// </summary>
    public async Task WrittenAsync(SendSlot slot, bool content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var app = _apps[slot.AppId];
        var late = slot.Lateness(slot.SinceMoment(content));
        if (late <= app.OwnLateness || slot.SlotAt == default)
            return;
        var push = late - app.OwnLateness / 2;
        try
        {
            if (await limiter.TryExcuseAsync(app.AppId, slot.SlotAt, slot.Transfer + slot.Excused + push, null, cancellationToken))
            {
                slot.Excused += push;
                metrics.RecordExcuse();
                Log.WrittenLate(logger, app.AppId, content ? "content" : "start", late, "its slot records it");
            }
            else
            {
                metrics.RecordLateSend();
                await limiter.PushAsync(app.AppId, push, cancellationToken);
                Log.WrittenLate(logger, app.AppId, content ? "content" : "start", late, "the next free slot moves back");
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.PushFailed(logger, app.AppId, exception.Message);
        }
    }

    /// <summary>
    /// Holds the start (or the content) until its moment, and decides what a late one does. A moment the provider
    /// counts may be late by our quarter of the margin (<see cref="AppLimit.OwnLateness"/>); beyond it (a thread run
    /// late, a go-ahead after the slot, a reservation whose placement is uncertain), the call would share its second
    /// with the call a second's worth of slots later, unless that one comes as much later. So: the lateness is recorded
    /// on the slot and the slot a second's worth later is given no earlier than that
    /// (<see cref="PostgresRateLimiter.TryExcuseAsync"/>), when that one is not given out yet and the lateness costs the
    /// schedule no more than the slot a fresh reservation gives up (under an interval, or any lateness where the appId
    /// sends below its rate); otherwise the send lets its slot go and waits for a fresh one (the command is encrypted
    /// already, so it can be held but not taken back). Checked again after every wait: a busy process wakes up late too.
    /// </summary>
    private async Task KeepOrReplaceAsync(AppLimit app, SendSlot slot, bool content, CancellationToken cancellationToken)
    {
        var replaced = false;
        while (true)
        {
            var elapsed = slot.SinceMoment(content);
            var late = slot.Lateness(elapsed);
            if (late <= app.OwnLateness)
            {
                // The content waits for its slot, or for the room before it, whichever comes first.
                var wait = content ? Min(-elapsed, SendSlot.Until(slot.EarliestContentAt)) : -elapsed;
                if (wait <= TimeSpan.Zero)
                    return;
                await Task.Delay(wait, cancellationToken);
                continue;
            }

            // The excuse's own round trip is lateness too: covered by the recent ones (a busy machine's are tens of
            // milliseconds; without this each excuse found the send late again by its round trip, and excused it again).
            var push = late - app.OwnLateness / 2 + _excuseTrips.Estimate;
            // Up to an interval it is cheaper than a fresh slot whatever the schedule; beyond, only where the schedule
            // has room for it (an appId sending below its rate).
            ExcuseLimit? limit = push <= app.Interval ? null : new ExcuseLimit(app.Interval, app.PerSecond);
            var excused = false;
            if (slot.SlotAt != default)
            {
                var asked = Stopwatch.GetTimestamp();
                excused = await limiter.TryExcuseAsync(app.AppId, slot.SlotAt, slot.Transfer + slot.Excused + push, limit, cancellationToken);
                _excuseTrips.Observe(Stopwatch.GetElapsedTime(asked));
            }

            if (excused)
            {
                slot.Excused += push;
                metrics.RecordExcuse();
                Log.Excused(logger, app.AppId, late, push);
                continue;
            }

            if (!replaced)
            {
                metrics.RecordLateSend();
                Log.Replaced(logger, app.AppId, content ? "content" : "start", late);
                replaced = true;
            }

            var reservation = await ReserveAsync(app, null, leadless: content, slot.Transfer, cancellationToken);
            var grant = reservation.Grant;
            switch (grant.Verdict)
            {
                case RateLimitVerdict.Granted when content:
                    slot.MoveContentTo(reservation.ContentAt, reservation.EarliestContentAt, grant.SlotAt, reservation.Uncertainty, grant.Allowance);
                    break;
                case RateLimitVerdict.Granted:
                    slot.MoveTo(reservation.StartAt, reservation.ContentAt, reservation.EarliestContentAt, grant.SlotAt, reservation.Uncertainty, grant.Allowance);
                    break;
                case RateLimitVerdict.Paused:
                    // With the content's transaction open too: the content has not gone, so the provider has not counted
                    // the message, and the connection is dropped mid-DATA (SmtpSender). Waiting for the pause's end held
                    // the send, its claim and its connection until the provider's next day.
                    _pauses[slot.AppId] = grant.PausedUntil!.Value;
                    throw new AppPausedException(slot.AppId, grant.PausedUntil.Value);
                default:
                    // Busy: wait (the provider's DATA timeout is minutes).
                    await Task.Delay(grant.RetryAfter + app.Interval, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>
    /// The provider answered. The moment it counted the call lies between the content going out and its reply: a
    /// reply far later than this appId's usual means the call may have been counted late, sharing its second with
    /// the calls after it, so the next free slot moves back by the excess (at most two intervals: a reply merely held
    /// long after the count must not stall the appId). Never throws: the send has happened.
    /// </summary>
    public async Task CompleteAsync(SendSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        // The content never went (its gate failed): there is no reply to measure.
        if (slot.ContentSentAt == 0)
            return;
        var app = _apps[slot.AppId];
        // The content's own way to the provider is not the provider's reply: it was counted on the slot already
        // (SendSlot.Transfer), and a large message's would inflate the usual reply of the small ones.
        var elapsed = Stopwatch.GetElapsedTime(slot.ContentSentAt) - slot.Transfer;
        var excess = elapsed - app.Latency.ObserveReply(elapsed) - app.Tolerance;
        if (excess <= TimeSpan.Zero)
            return;
        try
        {
            var push = excess < app.Interval * 2 ? excess : app.Interval * 2;
            metrics.RecordLateSend();
            Log.LateReply(logger, slot.AppId, elapsed, push);
            await limiter.PushAsync(slot.AppId, push, CancellationToken.None);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            Log.PushFailed(logger, slot.AppId, exception.Message);
        }
    }

    /// <summary>
    /// A reservation and where its slot lies in this process's clock. The database measures the wait from the start
    /// of its statement, which lay between the request going out and the answer arriving less the statement's own time
    /// (a wait for the row lock behind another replica's reservation included). <see cref="StatementClock"/> places that
    /// start from this round trip and the recent ones (the offset between the two clocks barely moves), at the latest
    /// moment they allow: never early, beside the call a second before it. How much it may be late is the slot's
    /// <see cref="SendSlot.Uncertainty"/>, which <see cref="KeepOrReplaceAsync"/> counts as lateness. Placed from its own
    /// round trip alone, a slot of a loaded moment (round trips of 50-75 ms) counted all of it as lateness.
    /// </summary>
    private async Task<Reservation> ReserveAsync(AppLimit app, (Guid, Guid)? fence, bool leadless, TimeSpan transfer, CancellationToken cancellationToken)
    {
        var sentAt = Stopwatch.GetTimestamp();
        var grant = await limiter.TryReserveAsync(app.AppId, app.Interval, _options.MaxWait, app.Latency.Lead, _options.PenaltyRecovery, fence, leadless,
            app.PerSecond, _options.IdleAllowance, transfer, cancellationToken);
        var receivedAt = Stopwatch.GetTimestamp();
        var roundTrip = Stopwatch.GetElapsedTime(sentAt, receivedAt);
        metrics.RecordAcquire(roundTrip);
        var placement = _clock.Place(Local(sentAt), Local(receivedAt), grant.StatementTime, grant.StatementStartedAt);
        var uncertainty = placement.Uncertainty;
        if (grant.Verdict == RateLimitVerdict.Granted && uncertainty > app.OwnLateness)
            Log.Uncertain(logger, app.AppId, roundTrip, uncertainty);
        var statementStart = SendSlot.After(sentAt, placement.StartedAt - Local(sentAt));
        var contentAt = SendSlot.After(statementStart, grant.Wait);
        var startAt = contentAt - (long)((leadless ? TimeSpan.Zero : grant.Lead).TotalSeconds * Stopwatch.Frequency);
        return new Reservation(grant, startAt, contentAt, SendSlot.After(statementStart, grant.EarliestWait), uncertainty);
    }

    /// <summary>A <see cref="Stopwatch"/> timestamp as time since this process's origin, for <see cref="StatementClock"/>.</summary>
    private static TimeSpan Local(long timestamp) => Stopwatch.GetElapsedTime(Origin, timestamp);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct Reservation(RateLimitGrant Grant, long StartAt, long ContentAt, long EarliestContentAt, TimeSpan Uncertainty);

    private sealed class AppLimit
    {
        /// <summary>The shortest lead ever asked for.</summary>
        public static readonly TimeSpan MinimumLead = TimeSpan.FromMilliseconds(2);

        public AppLimit(string appId, RateLimitingOptions options, ProviderLatency provider)
        {
            AppId = appId;
            var rate = options.RateFor(appId);
            Interval = Gcra.Interval(rate, options.SafetyMargin);
            // The provider allows floor(rate) calls in any second; that many of our slots span this much more: a call
            // that reaches it this much late still cannot make a second hold one call too many.
            PerSecond = RateLimitingOptions.CallsPerSecond(rate);
            Tolerance = RateLimitingOptions.Tolerance(rate, options.SafetyMargin);
            // Half of it for the way to the provider (a busy network, a provider that reads late), which nobody here
            // can see; a quarter for this process reaching the socket late; a quarter kept in reserve (the database's
            // and this process's clocks drifting apart within a second, a lead estimate that moves).
            OwnLateness = Tolerance / 4;
            Gate = new SemaphoreSlim(options.ContendersPerAppId, options.ContendersPerAppId);
            // Until the appId has its own measurements it uses the provider's, as the process measured them for its other
            // appIds (InitialLead before any). Before the first reply of any appId, any reply slower than the margin
            // pushes (a cold start: JIT, new connections).
            Latency = new ProviderLatency(options.InitialLead, MinimumLead, options.MaxLead, fallback: provider);
        }

        public string AppId { get; }

        public TimeSpan Interval { get; }

        /// <summary>The calls the provider allows in any second.</summary>
        public int PerSecond { get; }

        public TimeSpan Tolerance { get; }

        public TimeSpan OwnLateness { get; }

        public SemaphoreSlim Gate { get; }

        /// <summary>What the provider takes for this appId: its own measurements, the process's until it has any.</summary>
        public ProviderLatency Latency { get; }
    }

    /// <summary>A high estimate of recent round trips: up at once to a longer one, a fifth of the way down per shorter one.</summary>
    private sealed class RecentHigh
    {
        private long _ticks;

        public TimeSpan Estimate => TimeSpan.FromTicks(Volatile.Read(ref _ticks));

        public void Observe(TimeSpan sample)
        {
            // Racing updates may lose one sample: it is an estimate.
            var current = Volatile.Read(ref _ticks);
            Volatile.Write(ref _ticks, sample.Ticks >= current ? sample.Ticks : current + (sample.Ticks - current) / 5);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Debug, "AppId {AppId} has a backlog beyond the maximum wait; queued, asking again in {RetryAfter}")]
        public static partial void Backlogged(ILogger logger, string appId, TimeSpan retryAfter);

        [LoggerMessage(3002, LogLevel.Debug, "A send for appId {AppId} reached its {Moment} {Late} late, with the later slots already given out: it takes a fresh slot")]
        public static partial void Replaced(ILogger logger, string appId, string moment, TimeSpan late);

        [LoggerMessage(3006, LogLevel.Debug, "A send for appId {AppId} is {Late} late; {Push} more lateness is recorded on its slot (the slot a second's worth after it moves back as much)")]
        public static partial void Excused(ILogger logger, string appId, TimeSpan late, TimeSpan push);

        [LoggerMessage(3004, LogLevel.Debug, "The provider answered a send for appId {AppId} {Elapsed} after its content went out, later than usual; the next slot moves {Push} later")]
        public static partial void LateReply(ILogger logger, string appId, TimeSpan elapsed, TimeSpan push);

        [LoggerMessage(3007, LogLevel.Debug, "A slot for appId {AppId} came back after {RoundTrip}: it may lie up to {Uncertainty} later than meant, counted as lateness")]
        public static partial void Uncertain(ILogger logger, string appId, TimeSpan roundTrip, TimeSpan uncertainty);

        [LoggerMessage(3008, LogLevel.Debug, "A send for appId {AppId} reached the socket with its {Moment} {Late} late, after its last check: {Remedy}")]
        public static partial void WrittenLate(ILogger logger, string appId, string moment, TimeSpan late, string remedy);

        [LoggerMessage(3005, LogLevel.Warning, "Could not push back the limiter for appId {AppId} after a late reply: {Reason}")]
        public static partial void PushFailed(ILogger logger, string appId, string reason);

        [LoggerMessage(3003, LogLevel.Warning, "The provider throttled appId {AppId}: its rate steps down to {Rate:F2}/s for every replica and climbs back over {Recovery}")]
        public static partial void SteppedDown(ILogger logger, string appId, double rate, TimeSpan recovery);

        [LoggerMessage(3011, LogLevel.Debug, "A recipient-cap entry of {Sender} was not given back ({Reason}); it counts until its window passes")]
        public static partial void RecipientCapNotReleased(ILogger logger, string sender, string reason);
    }
}
