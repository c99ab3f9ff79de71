using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using SesWorker.Contracts;
using SesWorker.Core.Sending;
using SesWorker.Messaging;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.DeadLettering;

/// <summary>
/// Moves a message to its dead-letter queue with the reason in its headers, before the consumer records
/// the outcome and acknowledges: a crash in between leaves a duplicate in the dead-letter queue, never a loss.
/// </summary>
public sealed class DeadLetterRouter(IOptions<DeadLetterOptions> options, IOptions<WorkerOptions> worker, TimeProvider timeProvider)
{
    private readonly DeadLetterOptions _options = options.Value;
    private readonly string _heldWaitQueue = QueueNames.HeldWaitQueue(worker.Value.QueueName);

    /// <summary>
    /// Parks a copy of an email that another worker holds for <see cref="QueueNames.HeldWait"/>; it comes back to the
    /// held queue, not to the intake, so it never queues behind the appIds' backlogs (<see cref="QueueNames.HeldQueue"/>).
    /// </summary>
    public async Task<string> HoldAsync(ConsumeContext<SendEmail> context, string code, string reason, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var redelivered = WasRedelivered(context);
        await SendAsync(context, _heldWaitQueue, DeadLetterHeaders.ReasonDeferred, code, reason, send =>
        {
            send.Headers.Set(DeadLetterHeaders.DeferredUntil, until.ToString("O", CultureInfo.InvariantCulture));
            if (redelivered)
                send.Headers.Set(DeadLetterHeaders.Redelivered, true);
        }, cancellationToken);
        return _heldWaitQueue;
    }

    /// <summary>
    /// Whether the broker delivered this copy before, or a copy it was parked from: one whose first delivery's outcome
    /// event may never have reached the broker (it is acknowledged only once its event is confirmed).
    /// </summary>
    public static bool WasRedelivered(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.ReceiveContext.Redelivered || (context.Headers.Get<bool>(DeadLetterHeaders.Redelivered) ?? false);
    }

    /// <summary>Parks a message in the delay queue that brings it back closest to (not after) <paramref name="until"/>.</summary>
    public async Task<string> DeferAsync(ConsumeContext<SendEmail> context, string code, string reason, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remaining = until - timeProvider.GetUtcNow();
        // Some tolerance: "ten minutes from now" is measured a moment after it was decided.
        var tolerance = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, Math.Max(0, remaining.Ticks / 20)));
        var tier = DeadLetterOptions.DelayTiers.LastOrDefault(t => t <= remaining + tolerance);
        if (tier == default)
            tier = DeadLetterOptions.DelayTiers[0];
        var queue = _options.DelayQueueName(tier);
        await SendAsync(context, queue, DeadLetterHeaders.ReasonDeferred, code, reason,
            send => send.Headers.Set(DeadLetterHeaders.DeferredUntil, until.ToString("O", CultureInfo.InvariantCulture)), cancellationToken);
        return queue;
    }

    /// <summary>Returns the queue the message went to.</summary>
    public async Task<string> RouteAsync(ConsumeContext<SendEmail> context, SendFailure failure, int attempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(failure);
        var now = timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        var first = context.Headers.Get<string>(DeadLetterHeaders.FirstFailure) ?? now;
        var cycles = context.Headers.Get<int>(DeadLetterHeaders.Cycles) ?? 0;

        var queue = failure.Class switch
        {
            FailureClass.Oversize => _options.OversizeQueue,
            FailureClass.RateLimited when cycles >= _options.MaxRateLimitedCycles => _options.RateLimitedParkedQueue,
            FailureClass.RateLimited => _options.RateLimitedQueue,
            _ => throw new ArgumentException($"{failure.Class} failures are not dead-lettered.", nameof(failure)),
        };

        var rateLimited = failure.Class == FailureClass.RateLimited;
        await SendAsync(context, queue, rateLimited ? DeadLetterHeaders.ReasonRateLimited : DeadLetterHeaders.ReasonOversize, failure.Code, failure.Message, send =>
        {
            // Every message in the rate-limited queue has the same TTL, so they expire in order at the head;
            // a per-message TTL (not a queue argument) lets the delay change without redeclaring the queue.
            if (queue == _options.RateLimitedQueue)
                send.TimeToLive = _options.RateLimitedDelay;
            send.Headers.Set(DeadLetterHeaders.Attempts, attempts);
            send.Headers.Set(DeadLetterHeaders.FirstFailure, first);
            send.Headers.Set(DeadLetterHeaders.LastFailure, now);
            send.Headers.Set(DeadLetterHeaders.Cycles, rateLimited ? cycles + 1 : cycles);
        }, cancellationToken);
        return queue;
    }

    /// <summary>Every message leaving for a side queue: the full command, persistent, with the headers an operator reads first.</summary>
    private static async Task SendAsync(ConsumeContext<SendEmail> context, string queue, string reason, string code, string message,
        Action<SendContext> headers, CancellationToken cancellationToken)
    {
        var endpoint = await context.GetSendEndpoint(new Uri($"exchange:{queue}"));
        await endpoint.Send(context.Message, send =>
        {
            send.Durable = true;
            send.Headers.Set(DeadLetterHeaders.Reason, reason);
            send.Headers.Set(DeadLetterHeaders.Code, code);
            send.Headers.Set(DeadLetterHeaders.ProviderMessage, message);
            send.Headers.Set(DeadLetterHeaders.AppId, context.Message.AppId);
            send.Headers.Set(DeadLetterHeaders.EmailId, context.Message.EmailId.ToString());
            headers(send);
        }, cancellationToken);
    }
}
