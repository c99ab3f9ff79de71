using MassTransit;
using MassTransit.Context;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;

namespace SesWorker.Worker.Sending;

/// <summary>What the intake and the lane consumers do first with a delivery, after taking its bytes from the budget.</summary>
internal static class SendEmailDelivery
{
    /// <summary>
    /// Reads the body once (<see cref="SendEmailReader"/>). A message with no readable emailId has no key to record it
    /// under: it is refused (<see cref="InvalidEmailIdException"/>), so the reason lands in the queue's error queue. A
    /// malformed message with an emailId gets its history row (<c>failed</c>, <c>SesWorker.MalformedMessage</c>) and
    /// null is returned; otherwise the command to handle or route.
    /// </summary>
    public static async Task<(SendEmailReadResult Read, ConsumeContext<SendEmail> Command)?> ReadAsync(
        ReadOnlyMemory<byte> body, ConsumeContext<IncomingSendEmail> context, EmailSendHandler handler)
    {
        var read = SendEmailReader.Read(body);
        if (!read.HasEmailId)
            throw new InvalidEmailIdException($"{read.Code}: {read.Reason}");
        var command = new MessageConsumeContext<SendEmail>(context, read.Message);
        if (read.IsReadable)
            return (read, command);
        await handler.RecordMalformedAsync(command, read.Code!, read.Reason!);
        return null;
    }
}
