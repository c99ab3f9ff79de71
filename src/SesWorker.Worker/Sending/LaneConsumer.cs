using MassTransit;
using SesWorker.Contracts;

namespace SesWorker.Worker.Sending;

/// <summary>Sends the messages of one appId's lane queue; the lane's own concurrency bounds its sends in flight.</summary>
public sealed class LaneConsumer(EmailSendHandler handler) : IConsumer<SendEmail>
{
    public Task Consume(ConsumeContext<SendEmail> context) => handler.HandleAsync(context);
}
