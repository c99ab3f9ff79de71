using MassTransit;
using SesWorker.Worker.Memory;

namespace SesWorker.Worker.Sending;

/// <summary>
/// Sends the messages of one appId's lane queue (or of the held queue, or what an older version left in the large
/// lane); the lane's own concurrency bounds its sends in flight, the <see cref="SendGate"/> those of all lanes together,
/// the <see cref="ByteBudget"/> the bytes. The body is the one the producer wrote (the intake forwards it unchanged),
/// read once here.
/// </summary>
public sealed class LaneConsumer(EmailSendHandler handler, SendGate gate, ByteBudget budget) : IConsumer<IncomingSendEmail>
{
    public async Task Consume(ConsumeContext<IncomingSendEmail> context)
    {
        // The turn first: a message waiting for one holds no bytes of the budget. It waited for it in the receive pipe,
        // before MassTransit built this context (GateTurnFilter); a retry waits here.
        using var turn = await GateTurnFilter.TakeOrEnterAsync(context, gate);
        var body = ReceivedBody.Of(context.ReceiveContext);
        using var lease = await budget.AcquireAsync(WorkerOptions.Footprint(body.Length), context.CancellationToken);
        if (await SendEmailDelivery.ReadAsync(body, context, handler) is { } delivery)
            await handler.HandleAsync(delivery.Command);
    }
}
