using MassTransit;
using Microsoft.Extensions.Logging;
using SesWorker.Contracts;

namespace SesWorker.Worker.Sending;

/// <summary>
/// The intake on <c>send-email</c>, where every producer publishes: it moves each message to its appId's lane
/// queue and acknowledges, so one appId's backlog never stands in front of another's. A message with no lane
/// (its appId is not configured, or missing) cannot wait for a slot anyway: it is handled here, and fails fast.
/// </summary>
public sealed partial class SendEmailConsumer(EmailSendHandler handler, SendLanes lanes, ILogger<SendEmailConsumer> logger) : IConsumer<SendEmail>
{
    public async Task Consume(ConsumeContext<SendEmail> context)
    {
        // Refused here, so the reason lands in send-email_error where operators look, not in a lane's error queue.
        if (context.Message.EmailId == Guid.Empty)
            throw new InvalidEmailIdException(EmailSendHandler.MissingEmailId);
        if (lanes.For(context.Message.AppId) is not { } lane)
        {
            await handler.HandleAsync(context);
            return;
        }

        var endpoint = await context.GetSendEndpoint(lane.Address);
        await endpoint.Send(context.Message, send =>
        {
            send.Durable = true;
            // Everything the message carries on (dead-letter cycles, a deferral's time, a redrive) goes with it.
            foreach (var header in context.Headers.GetAll())
            {
                if (!header.Key.StartsWith("MT-", StringComparison.Ordinal))
                    send.Headers.Set(header.Key, header.Value);
            }
        }, context.CancellationToken);
        Log.Routed(logger, context.Message.EmailId, lane.Queue);
    }

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Trace, "Email {EmailId} moved to lane {Queue}")]
        public static partial void Routed(ILogger logger, Guid emailId, string queue);
    }
}
