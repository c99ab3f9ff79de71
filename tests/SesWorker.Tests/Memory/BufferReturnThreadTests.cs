using System.Buffers;
using SesWorker.Worker.Memory;

namespace SesWorker.Tests.Memory;

public sealed class BufferReturnThreadTests
{
    // A size no other test rents: the shared pool is the process's, and its 32 MiB arrays are this test's alone.
    private const int Size = 20 * 1024 * 1024;

    [Fact]
    public async Task A_switched_caller_runs_on_the_return_thread_with_its_context_and_leaves_it_again()
    {
        var local = new AsyncLocal<string> { Value = "the consume's" };
        Assert.False(BufferReturnThread.IsCurrent);

        await BufferReturnThread.SwitchTo();

        Assert.True(BufferReturnThread.IsCurrent);
        Assert.Equal("SesWorker buffer return", Thread.CurrentThread.Name);
        Assert.Equal("the consume's", local.Value);

        await BufferReturnThread.Leave();

        Assert.False(BufferReturnThread.IsCurrent);
        Assert.Equal("the consume's", local.Value);
    }

    [Fact]
    public async Task A_caller_switched_there_takes_whatever_awaits_it_along()
    {
        // As in a consume: MassTransit's pipeline and the client's return continue on the thread the consume ended on.
        // The switched task finishes only after its caller awaits it: a task already complete when awaited is continued
        // on the thread pool, and without the gate that race was this test's (it failed once in CI).
        using var gate = new ManualResetEventSlim();
        var switched = SwitchedAsync(gate);
        var awaiting = AwaitingAsync(switched);
        Assert.False(switched.IsCompleted);

        gate.Set();

        Assert.True(await awaiting, "the caller went on on the return thread");
        Assert.False(BufferReturnThread.IsCurrent);

        static async Task SwitchedAsync(ManualResetEventSlim gate)
        {
            await BufferReturnThread.SwitchTo();
            gate.Wait();
        }

        static async Task<bool> AwaitingAsync(Task switched)
        {
            await switched;
            var there = BufferReturnThread.IsCurrent;
            await BufferReturnThread.Leave();
            return there && !BufferReturnThread.IsCurrent;
        }
    }

    [Fact]
    public async Task Arrays_returned_on_many_threads_stay_with_those_threads()
    {
        // What RabbitMQ's client did with its delivery buffers: each returned where a consume happened to complete.
        var returned = new List<byte[]>();
        for (var i = 0; i < 3; i++)
            returned.Add(await OnNewThread(() =>
            {
                var array = ArrayPool<byte>.Shared.Rent(Size);
                ArrayPool<byte>.Shared.Return(array);
                return array;
            }));

        var rented = await OnNewThread(RentThree);

        Assert.DoesNotContain(rented, array => returned.Contains(array));
        await OnNewThread(() => ReturnAll(rented));
    }

    [Fact]
    public async Task Arrays_returned_on_the_return_thread_are_rented_again_from_any_thread()
    {
        var returned = RentThree();

        // Each from a consume of its own on a thread of its own, as above, but switched to the return thread first.
        foreach (var array in returned)
            await await OnNewThread(async () =>
            {
                await BufferReturnThread.SwitchTo();
                ArrayPool<byte>.Shared.Return(array);
                // Whatever awaits a task completed on the return thread continues there: off it before this one
                // completes, or the test (and the runner's next test) would go on there.
                await BufferReturnThread.Leave();
                return true;
            });
        var rented = await OnNewThread(RentThree);

        // The return thread's own slot keeps the last one it was given; the others are in the shared stacks.
        Assert.True(rented.Count(array => returned.Contains(array)) >= 2, "the reader's rents found the returned arrays");
        await OnNewThread(() => ReturnAll(rented));
    }

    private static byte[][] RentThree() => [.. Enumerable.Range(0, 3).Select(_ => ArrayPool<byte>.Shared.Rent(Size))];

    private static bool ReturnAll(byte[][] arrays)
    {
        foreach (var array in arrays)
            ArrayPool<byte>.Shared.Return(array);
        return true;
    }

    private static Task<T> OnNewThread<T>(Func<T> work)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception exception)
            {
                completion.SetException(exception);
            }
        });
        thread.Start();
        return completion.Task;
    }
}
