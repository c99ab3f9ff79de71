using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using SesWorker.Contracts;
using SesWorker.Core.Sending;

namespace SesWorker.Worker.DeadLettering;

/// <summary>
/// Moves a message to its dead-letter queue with the reason in its headers, before the consumer records
/// the outcome and acknowledges: a crash in between leaves a duplicate in the dead-letter queue, never a loss.
/// </summary>
public sealed class DeadLetterRouter(IOptions<DeadLetterOptions> options, TimeProvider timeProvider)
{
    private readonly DeadLetterOptions _options = options.Value;

    /// <summary>Parks a message in the delay queue that brings it back closest to (not after) <paramref name="until"/>.</summary>
    public async Task<string> DeferAsync(ConsumeContext<SendEmail> context, string code, string reason, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var remaining = until - timeProvider.GetUtcNow();
        // A few seconds of tolerance: "ten minutes from now" is measured a moment after it was decided.
        var tier = DeadLetterOptions.DelayTiers.LastOrDefault(t => t <= remaining + TimeSpan.FromSeconds(5));
        if (tier == default)
            tier = DeadLetterOptions.DelayTiers[0];
        var queue = _options.DelayQueueName(tier);
        var endpoint = await context.GetSendEndpoint(new Uri($"exchange:{queue}"));
        await endpoint.Send(context.Message, send =>
        {
            send.Durable = true;
            send.Headers.Set(DeadLetterHeaders.Reason, "deferred");
            send.Headers.Set(DeadLetterHeaders.Code, code);
            send.Headers.Set(DeadLetterHeaders.ProviderMessage, reason);
            send.Headers.Set(DeadLetterHeaders.DeferredUntil, until.ToString("O", CultureInfo.InvariantCulture));
            send.Headers.Set(DeadLetterHeaders.AppId, context.Message.AppId);
            send.Headers.Set(DeadLetterHeaders.EmailId, context.Message.EmailId.ToString());
        }, cancellationToken);
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

        var endpoint = await context.GetSendEndpoint(new Uri($"exchange:{queue}"));
        var returns = queue == _options.RateLimitedQueue;
        await endpoint.Send(context.Message, send =>
        {
            send.Durable = true;
            // Every message in the rate-limited queue has the same TTL, so they expire in order at the head;
            // a per-message TTL (not a queue argument) lets the delay change without redeclaring the queue.
            if (returns)
                send.TimeToLive = _options.RateLimitedDelay;
            send.Headers.Set(DeadLetterHeaders.Reason, failure.Class == FailureClass.Oversize ? "oversize" : "rate_limited");
            send.Headers.Set(DeadLetterHeaders.Code, failure.Code);
            send.Headers.Set(DeadLetterHeaders.ProviderMessage, failure.Message);
            send.Headers.Set(DeadLetterHeaders.Attempts, attempts);
            send.Headers.Set(DeadLetterHeaders.FirstFailure, first);
            send.Headers.Set(DeadLetterHeaders.LastFailure, now);
            send.Headers.Set(DeadLetterHeaders.Cycles, failure.Class == FailureClass.RateLimited ? cycles + 1 : cycles);
            send.Headers.Set(DeadLetterHeaders.AppId, context.Message.AppId);
            send.Headers.Set(DeadLetterHeaders.EmailId, context.Message.EmailId.ToString());
        }, cancellationToken);
        return queue;
    }
}
