using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace SesWorker.Worker.Memory;

/// <summary>
/// The one thread on which consumers finish with a large delivery, so that RabbitMQ's client gives the delivery's buffer
/// back to the shared array pool there.
/// </summary>
/// <remarks>
/// The client assembles every delivery in a buffer rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (16 MiB
/// for a body of 10 MB) and returns it when the consume completes, on whichever thread completed it. The shared pool
/// keeps one array of each size per thread before its per-core stacks, and a thread's own array is rented again only
/// by that thread; the client rents from its reader, so every thread-pool thread that ever finished a large consume kept
/// one 16 MiB array out of reach: in the memory benchmark 12 were allocated (and kept) for the intake's 4 in flight, on
/// 9 threads. Finished here, the returns land on one thread: its slot keeps the latest, and every other array goes to the
/// per-core stacks, where the reader's next rent finds it (README, Memory).
/// <see cref="BufferReturnFilter"/> sends each large message's end here. Only the completion runs here (a few microseconds:
/// the pipeline's unwinding, the acknowledgement and the client's return); a message that starts on this thread, because
/// the client's dispatcher went on to its next delivery, leaves it at once (<see cref="Leave"/>).
/// </remarks>
internal static class BufferReturnThread
{
    private static readonly BlockingCollection<Action> Continuations = new();
    private static readonly Thread Thread = Start();

    /// <summary>Bodies from this size up finish here: the shared pool's arrays below it are small enough to keep per thread.</summary>
    public const int MinimumBodyBytes = 1024 * 1024;

    /// <summary>Whether the caller runs on the return thread.</summary>
    public static bool IsCurrent => Thread.CurrentThread == Thread;

    /// <summary>Continues the caller on the return thread.</summary>
    public static SwitchAwaitable SwitchTo() => default;

    /// <summary>Continues the caller on the thread pool if it runs on the return thread (a consume started there).</summary>
    public static LeaveAwaitable Leave() => default;

    private static Thread Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "SesWorker buffer return" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        // A continuation is an async method's next step: it records its own exceptions in its task.
        foreach (var continuation in Continuations.GetConsumingEnumerable())
            continuation();
    }

    public readonly struct LeaveAwaitable : ICriticalNotifyCompletion
    {
        public LeaveAwaitable GetAwaiter() => this;

        public bool IsCompleted => !IsCurrent;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) =>
            ThreadPool.QueueUserWorkItem(static action => action(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) =>
            ThreadPool.UnsafeQueueUserWorkItem(static action => action(), continuation, preferLocal: false);
    }

    public readonly struct SwitchAwaitable : ICriticalNotifyCompletion
    {
        public SwitchAwaitable GetAwaiter() => this;

        public bool IsCompleted => IsCurrent;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation)
        {
            var context = ExecutionContext.Capture();
            Continuations.Add(context is null
                ? continuation
                : () => ExecutionContext.Run(context, static state => ((Action)state!)(), continuation));
        }

        public void UnsafeOnCompleted(Action continuation) => Continuations.Add(continuation);
    }
}
