using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.Serialization;
using SesWorker.Worker.Memory;

namespace SesWorker.Worker.Sending;

/// <summary>
/// A received message's body without a copy. MassTransit hands RabbitMQ's delivery buffer over as a
/// <see cref="MemoryMessageBody"/>, whose <c>GetBytes()</c> copies the whole body into a new array (10 MB for a message
/// with 8 MB of attachments) and keeps that copy for the rest of the consume; the consumers read the buffer itself, which
/// MassTransit keeps valid until the message is settled.
/// </summary>
internal static class ReceivedBody
{
    /// <summary>
    /// Runs <paramref name="consume"/> over the received body, and finishes a large one's consume on the
    /// <see cref="BufferReturnThread"/>, where RabbitMQ's client then gives the delivery's buffer back to the shared pool.
    /// </summary>
    public static Task ConsumeAsync(ConsumeContext context, Func<ReadOnlyMemory<byte>, Task> consume)
    {
        // Most bodies are small and arrive on the thread pool: their consume is not wrapped.
        var body = Of(context.ReceiveContext);
        return body.Length < BufferReturnThread.MinimumBodyBytes && !BufferReturnThread.IsCurrent
            ? consume(body)
            : ConsumeOffTheReturnThreadAsync(context, body, consume);
    }

    private static async Task ConsumeOffTheReturnThreadAsync(ConsumeContext context, ReadOnlyMemory<byte> body, Func<ReadOnlyMemory<byte>, Task> consume)
    {
        await BufferReturnThread.Leave();
        await consume(body);
        if (body.Length >= BufferReturnThread.MinimumBodyBytes)
            await BufferReturnThread.CompleteOnItAsync(context);
    }

    public static ReadOnlyMemory<byte> Of(ReceiveContext context) =>
        context.Body is MemoryMessageBody memory ? MemoryOf(memory) : context.Body.GetBytes();

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    private static extern ref ReadOnlyMemory<byte> MemoryOf(MemoryMessageBody body);
}
