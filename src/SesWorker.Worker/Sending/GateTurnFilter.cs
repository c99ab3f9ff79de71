using MassTransit;

namespace SesWorker.Worker.Sending;

/// <summary>
/// A lane message waits for its turn in the <see cref="SendGate"/> in the receive pipe, before MassTransit reads it: a
/// message waiting there holds what RabbitMQ delivered (its receive context and body) and one state machine, not the
/// consume context, the serializer's context, the DI scope, the consumer and the consume pipe's own state machines that
/// MassTransit builds before the consumer runs (about 6 KB a message in a heap dump; 200 busy lanes had about 2,800
/// such waiting in one process). The consumer's first attempt takes the turn over (<see cref="TakeOrEnterAsync"/>) and
/// gives it back when it returns, as before, so the outcome event's confirm holds no turn. A retry asks the gate again:
/// a retry's delay holds no turn. A turn nobody took (the message faulted before the consumer ran) goes back when the
/// pipe returns.
/// </summary>
internal sealed class GateTurnFilter(SendGate gate) : IFilter<ReceiveContext>
{
    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        // Cancelled (the endpoint stopping), the wait throws, and the transport leaves the message to the broker to
        // deliver again, as it does for a consumer cancelled while it waited.
        var turn = await gate.EnterAsync(Lane(context), context.CancellationToken);
        var held = context.GetOrAddPayload(static () => new HeldTurn());
        held.Hand(turn);
        try
        {
            await next.Send(context);
        }
        finally
        {
            held.Take()?.Dispose();
        }
    }

    /// <summary>The turn this delivery waited for in the receive pipe, or on a retry (the first attempt gave it back) a
    /// new one.</summary>
    public static ValueTask<SendGate.Turn> TakeOrEnterAsync(ConsumeContext context, SendGate gate) =>
        context.ReceiveContext.TryGetPayload(out HeldTurn? held) && held.Take() is { } turn
            ? ValueTask.FromResult(turn)
            : gate.EnterAsync(Lane(context.ReceiveContext), context.CancellationToken);

    /// <summary>The key a delivery's turn is asked under: its endpoint's queue.</summary>
    public static string Lane(ReceiveContext context) => context.InputAddress.AbsolutePath;

    public void Probe(ProbeContext context) => context.CreateFilterScope("sendGateTurn");

    /// <summary>A turn handed from the filter to the consumer, taken once.</summary>
    private sealed class HeldTurn
    {
        private SendGate.Turn? _turn;

        public void Hand(SendGate.Turn turn) => _turn = turn;

        public SendGate.Turn? Take() => Interlocked.Exchange(ref _turn, null);
    }
}
