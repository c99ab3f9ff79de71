using MassTransit;
using SesWorker.Worker.Sending;

namespace SesWorker.Worker.Memory;

/// <summary>
/// The receive pipe's outermost filter on every endpoint: a message with a body of
/// <see cref="BufferReturnThread.MinimumBodyBytes"/> or more is finished on the <see cref="BufferReturnThread"/>, so that
/// RabbitMQ's client gives its delivery buffer back to the shared pool there. Everything inside has run by then: the
/// consumer, the consume's own tasks (the outcome event's publish confirm, which MassTransit's deserialize filter awaits),
/// a fault's move to the error queue. What is left runs on the thread: the transport's acknowledgement and the client's
/// return. A small body arriving on the thread pool passes straight through.
/// </summary>
internal sealed class BufferReturnFilter : IFilter<ReceiveContext>
{
    public Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        var large = ReceivedBody.Of(context).Length >= BufferReturnThread.MinimumBodyBytes;
        return large || BufferReturnThread.IsCurrent ? SendAsync(context, next, large) : next.Send(context);
    }

    private static async Task SendAsync(ReceiveContext context, IPipe<ReceiveContext> next, bool large)
    {
        // The client's dispatcher may have gone on to this delivery on the return thread: the work is not done there.
        await BufferReturnThread.Leave();
        await next.Send(context);
        if (large)
            await BufferReturnThread.SwitchTo();
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("bufferReturn");
}
