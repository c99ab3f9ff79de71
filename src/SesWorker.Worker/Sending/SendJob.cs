using MassTransit;
using SesWorker.Contracts;

namespace SesWorker.Worker.Sending;

/// <summary>One claimed email in hand: the message, the claim that fences its writes, and when its try started.</summary>
public sealed record SendJob(ConsumeContext<SendEmail> Context, Guid ClaimToken, string WorkerId, int Attempts, DateTimeOffset Started)
{
    public SendEmail Command => Context.Message;
}
