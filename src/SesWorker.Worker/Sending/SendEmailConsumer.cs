using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SesWorker.Worker.Memory;

namespace SesWorker.Worker.Sending;

/// <summary>
/// The intake on <c>send-email</c>, where every producer publishes. It takes the body's size from the worker's
/// <see cref="ByteBudget"/>, reads the body once with <see cref="SendEmailReader"/> and then:
/// <list type="bullet">
/// <item>a readable message moves, as the same bytes, to its appId's lane queue (and is acknowledged), so one appId's
/// backlog never stands in front of another's;</item>
/// <item>a body over <see cref="WorkerOptions.LaneMaxBodyBytes"/> (attachments) is sent here, from the delivery's own
/// buffer: the intake's concurrency follows the byte budget, so it holds only what the budget has room for; a message
/// with no lane (its appId configured on no replica whose lane has consumers, or missing) cannot wait for a slot anyway:
/// it is handled here, and fails fast;</item>
/// <item>a message of an appId this replica is not configured for goes to that appId's lane when another replica consumes
/// it (the accounts changing one replica at a time);</item>
/// <item>a malformed message with a readable emailId gets its history row, <c>failed</c> with
/// <c>SesWorker.MalformedMessage</c> and the reader's reason;</item>
/// <item>a message with no readable emailId (no id, an empty or all-zero one, not a JSON object) has no key to record
/// it under: it goes to <c>send-email_error</c> with the reason in its fault headers.</item>
/// </list>
/// </summary>
public sealed partial class SendEmailConsumer(
    EmailSendHandler handler, SendLanes lanes, SendGate gate, ByteBudget budget, LaneForwarder forwarder, IOptions<WorkerOptions> options,
    ILogger<SendEmailConsumer> logger)
    : IConsumer<IncomingSendEmail>
{
    public async Task Consume(ConsumeContext<IncomingSendEmail> context)
    {
        var body = ReceivedBody.Of(context.ReceiveContext);
        var footprint = WorkerOptions.Footprint(body.Length);
        // A large body is sent from here, from the delivery it arrived in: forwarded, it would cost the client a second
        // buffer of its size to frame the publish and a third to deliver it again (README, Memory).
        var large = body.Length > options.Value.LaneMaxBodyBytes;
        // A send takes its turn before its bytes, here as in the lanes: the other way round, a large body holding the
        // whole budget waited for a turn while every turn's lane message waited for bytes behind it, and nothing moved.
        using var largeTurn = large ? await gate.EnterAsync(GateTurnFilter.Lane(context.ReceiveContext), context.CancellationToken) : null;
        var lease = await budget.AcquireAsync(footprint, context.CancellationToken);
        try
        {
            // A message with no readable emailId is refused here, so the reason lands in send-email_error where
            // operators look, not in a lane's error queue.
            if (await SendEmailDelivery.ReadAsync(body, context, handler) is not { } delivery)
                return;
            var (read, command) = delivery;
            if (large)
            {
                await handler.HandleAsync(command);
                return;
            }

            var message = command.Message;
            var lane = lanes.For(message.AppId)?.Queue;
            // Not configured here, perhaps on another replica: while the accounts change one replica at a time, the
            // replicas that have the appId consume its lane, and its messages go there rather than failing here.
            if (lanes.OtherReplicasLane(message.AppId) is { } elsewhere && await forwarder.ConsumersAsync(elsewhere, context.CancellationToken) is > 0)
                lane = elsewhere;

            // No lane to wait in for a slot: handled here, and fails fast. Its bytes are given back while it waits for
            // a turn (turn before bytes, as above), and taken again.
            if (lane is null)
            {
                lease.Dispose();
                using var turn = await gate.EnterAsync(GateTurnFilter.Lane(context.ReceiveContext), context.CancellationToken);
                lease = await budget.AcquireAsync(footprint, context.CancellationToken);
                await handler.HandleAsync(command);
                return;
            }

            // Everything the message carries on (dead-letter cycles, a deferral's time, a redrive) goes with it: from
            // the AMQP headers, and from a MassTransit envelope's own headers, where MassTransit keeps them.
            var headers = context.ReceiveContext.TransportHeaders.GetAll().Concat(read.EnvelopeHeaders)
                .Where(h => !h.Key.StartsWith("MT-", StringComparison.Ordinal) && !h.Key.StartsWith("x-", StringComparison.Ordinal));
            // As the same bytes, from the delivery's own memory.
            await forwarder.ForwardAsync(lane, body, headers, context.CancellationToken);
            Log.Routed(logger, message.EmailId, lane);
        }
        finally
        {
            lease.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Trace, "Email {EmailId} moved to {Queue}")]
        public static partial void Routed(ILogger logger, Guid emailId, string queue);
    }
}
