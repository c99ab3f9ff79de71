using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Core.Limiting;
using SesWorker.Persistence.Limiting;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// Gets a send its slot: the appId's rate (shared by all replicas through PostgreSQL) and the sender to
/// recipient hourly cap. Waiting is not a failure and not an attempt: it is measured in <see cref="SendMetrics"/>.
/// If PostgreSQL cannot be reached the exception escapes: no slot, no send (fail closed).
/// </summary>
/// <remarks>
/// Slots are spaced by 1/rate, so N sends span N intervals; with the safety margin, N = rate sends span a
/// little more than one second. That slack absorbs the variable delay between a slot and the moment the
/// provider counts the call (end of DATA). A send that takes longer than the slack (a cold start, a GC pause,
/// a large message) is reported back and pushes the next free slot later by the excess, so the sends after it
/// cannot crowd into its second. Reservations never reach further ahead than MaxWait, so the push lands before
/// the send that would have shared the window is reserved.
/// </remarks>
public sealed partial class SendThrottle(
    PostgresRateLimiter limiter,
    RecipientCapStore recipientCaps,
    SendMetrics metrics,
    IOptions<RateLimitingOptions> options,
    ILogger<SendThrottle> logger)
{
    private readonly RateLimitingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, AppLimit> _apps = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pauses = new(StringComparer.Ordinal);

    /// <summary>What this process knows of a pause on the appId (no round trip): set by its own sends or by the limiter's answers.</summary>
    public DateTimeOffset? KnownPause(string appId, DateTimeOffset now) =>
        _pauses.TryGetValue(appId, out var until) && until > now ? until : null;

    /// <summary>The provider's daily quota is spent: no replica takes a slot for the appId until <paramref name="until"/>.</summary>
    public async Task PauseAsync(string appId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        _pauses[appId] = until;
        await limiter.PauseAsync($"app:{appId}", until, cancellationToken);
    }

    /// <summary>Null when all recipients are under the cap (and the send is counted); otherwise when the window frees.</summary>
    public async Task<DateTimeOffset?> CheckRecipientCapAsync(string sender, IEnumerable<string> recipients, CancellationToken cancellationToken)
    {
        if (!_options.RecipientCapEnabled)
            return null;
        return await recipientCaps.TryRecordAsync(sender, recipients, _options.RecipientCap, _options.RecipientWindow, cancellationToken);
    }

    /// <summary>
    /// Returns once this send holds a slot for its appId. Call it immediately before the SMTP transaction and
    /// dispose the slot when the provider has answered.
    /// </summary>
    public async Task<IAsyncDisposable> AcquireAsync(string appId, CancellationToken cancellationToken)
    {
        var app = _apps.GetOrAdd(appId, id => new AppLimit(id, _options));
        var held = Stopwatch.StartNew();
        // Only a few sends per appId per process contend in the database; the rest queue here, at no cost.
        await app.Gate.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                var roundTrip = Stopwatch.StartNew();
                var grant = await limiter.TryReserveAsync(app.Key, app.Interval, _options.MaxWait, cancellationToken);
                metrics.RecordAcquire(roundTrip.Elapsed);
                if (grant.PausedUntil is { } pausedUntil)
                {
                    _pauses[appId] = pausedUntil;
                    throw new AppPausedException(appId, pausedUntil);
                }

                if (grant.Granted)
                {
                    // The slot began at most one round trip before now + wait; measure the send from there.
                    var slotStart = Stopwatch.GetTimestamp() - (long)(roundTrip.Elapsed.TotalSeconds * Stopwatch.Frequency)
                        + (long)(grant.Wait.TotalSeconds * Stopwatch.Frequency);
                    if (grant.Wait > TimeSpan.Zero)
                        await Task.Delay(grant.Wait, cancellationToken);
                    metrics.RecordWait(held.Elapsed);
                    return new Slot(this, app, slotStart);
                }

                if (held.Elapsed > _options.MaxHold)
                    throw new RateLimitBacklogException(appId, held.Elapsed);
                var retry = grant.RetryAfter + app.Interval * Random.Shared.NextDouble();
                Log.Backlogged(logger, appId, retry);
                await Task.Delay(retry < app.Interval ? app.Interval : retry, cancellationToken);
            }
        }
        catch
        {
            app.Gate.Release();
            throw;
        }
    }

    private async ValueTask CompleteAsync(AppLimit app, long slotStart)
    {
        try
        {
            var elapsed = Stopwatch.GetElapsedTime(slotStart);
            var excess = elapsed - app.Slack;
            if (excess > TimeSpan.Zero)
            {
                metrics.RecordLateSend();
                Log.LateSend(logger, app.AppId, elapsed, excess);
                await limiter.PushAsync(app.Key, excess, CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The send has happened: its outcome must still be recorded, so a failed push must not escape (that
            // would re-run the consumer and send twice). With the database away, no replica gets a slot anyway.
            Log.PushFailed(logger, app.AppId, exception.Message);
        }
        finally
        {
            app.Gate.Release();
        }
    }

    private sealed class AppLimit
    {
        public AppLimit(string appId, RateLimitingOptions options)
        {
            AppId = appId;
            Key = $"app:{appId}";
            var rate = options.RateFor(appId);
            Interval = Gcra.Interval(rate, options.SafetyMargin);
            // The provider allows floor(rate) calls in any second; that many of our slots span this much more.
            Slack = Interval * Math.Max(1, Math.Floor(rate)) - TimeSpan.FromSeconds(1);
            Gate = new SemaphoreSlim(options.ContendersPerAppId, options.ContendersPerAppId);
        }

        public string AppId { get; }

        public string Key { get; }

        public TimeSpan Interval { get; }

        public TimeSpan Slack { get; }

        public SemaphoreSlim Gate { get; }
    }

    private sealed class Slot(SendThrottle owner, AppLimit app, long slotStart) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? owner.CompleteAsync(app, slotStart) : ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Debug, "AppId {AppId} has a backlog beyond the maximum wait; asking again in {RetryAfter}")]
        public static partial void Backlogged(ILogger logger, string appId, TimeSpan retryAfter);

        [LoggerMessage(3003, LogLevel.Warning, "Could not push back the limiter for appId {AppId} after a late send: {Reason}")]
        public static partial void PushFailed(ILogger logger, string appId, string reason);

        [LoggerMessage(3002, LogLevel.Debug, "A send for appId {AppId} took {Elapsed} from its slot; the next slot moves {Excess} later")]
        public static partial void LateSend(ILogger logger, string appId, TimeSpan elapsed, TimeSpan excess);
    }
}
