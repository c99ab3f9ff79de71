using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.Serialization;

namespace SesWorker.Worker.Sending;

/// <summary>
/// A received message's body without a copy. MassTransit hands RabbitMQ's delivery buffer over as a
/// <see cref="MemoryMessageBody"/>, whose <c>GetBytes()</c> copies the whole body into a new array (10 MB for a message
/// with 8 MB of attachments) and keeps that copy for the rest of the consume; the consumers read the buffer itself, which
/// MassTransit keeps valid until the message is settled.
/// </summary>
internal static class ReceivedBody
{
    public static ReadOnlyMemory<byte> Of(ReceiveContext context) =>
        context.Body is MemoryMessageBody memory ? MemoryOf(memory) : context.Body.GetBytes();

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    private static extern ref ReadOnlyMemory<byte> MemoryOf(MemoryMessageBody body);
}
