using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

public sealed class SendGateTests
{
    [Fact]
    public async Task Turns_beyond_the_capacity_wait_and_one_lanes_are_served_in_order()
    {
        var gate = new SendGate(2);
        var first = await gate.EnterAsync("a", CancellationToken.None);
        var second = await gate.EnterAsync("a", CancellationToken.None);

        var served = new List<string>();
        var third = Enter(gate, "a", "a3", served);
        var fourth = Enter(gate, "a", "a4", served);

        Assert.Equal(2, gate.InUse);
        Assert.Equal(2, gate.Waiting);
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose();
        (await third).Dispose();
        Assert.False(fourth.IsCompleted);
        second.Dispose();
        (await fourth).Dispose();

        Assert.Equal(["a3", "a4"], served);
        Assert.Equal(2, gate.HighWater);
        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task A_freed_turn_goes_to_the_waiting_lane_that_holds_the_fewest()
    {
        var gate = new SendGate(3);
        // Lane a delivered first and holds all three turns; a's next ones queue before b's and c's.
        var held = new Queue<SendGate.Turn>([
            await gate.EnterAsync("a", CancellationToken.None), await gate.EnterAsync("a", CancellationToken.None),
            await gate.EnterAsync("a", CancellationToken.None)]);
        var waiting = new Dictionary<Task<SendGate.Turn>, string>
        {
            [gate.EnterAsync("a", CancellationToken.None).AsTask()] = "a4",
            [gate.EnterAsync("a", CancellationToken.None).AsTask()] = "a5",
            [gate.EnterAsync("b", CancellationToken.None).AsTask()] = "b1",
            [gate.EnterAsync("b", CancellationToken.None).AsTask()] = "b2",
            [gate.EnterAsync("c", CancellationToken.None).AsTask()] = "c1",
        };

        // Each freed turn goes to the lane with the fewest turns among the waiting ones (round robin between equals):
        // b and c first, then a (down to none of its first three), then b again.
        var served = new List<string>();
        while (waiting.Count > 0)
        {
            held.Dequeue().Dispose();
            var granted = await Task.WhenAny(waiting.Keys);
            served.Add(waiting[granted]);
            waiting.Remove(granted);
            held.Enqueue(await granted);
            Assert.Equal(3, gate.InUse);
        }

        Assert.Equal(["b1", "c1", "a4", "b2", "a5"], served);
        while (held.Count > 0)
            held.Dequeue().Dispose();
        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_turn()
    {
        var gate = new SendGate(1);
        var held = await gate.EnterAsync("a", CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = gate.EnterAsync("b", cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Waiting);
        held.Dispose();
        Assert.Equal(0, gate.InUse);
        (await gate.EnterAsync("c", CancellationToken.None)).Dispose();
    }

    private static async Task<SendGate.Turn> Enter(SendGate gate, string lane, string id, List<string> served)
    {
        var turn = await gate.EnterAsync(lane, CancellationToken.None);
        lock (served)
            served.Add(id);
        return turn;
    }

    [Fact]
    public async Task More_turns_let_waiting_sends_in_at_once_and_fewer_take_nothing_back()
    {
        var gate = new SendGate(1);
        var first = await gate.EnterAsync("a", CancellationToken.None);
        var waiting = new[] { gate.EnterAsync("a", CancellationToken.None).AsTask(), gate.EnterAsync("b", CancellationToken.None).AsTask() };
        Assert.Equal(2, gate.Waits);
        Assert.All(waiting, t => Assert.False(t.IsCompleted));

        gate.Resize(3);

        var turns = await Task.WhenAll(waiting);
        Assert.Equal(3, gate.InUse);
        Assert.Equal(3, gate.Capacity);

        // Down to one: the three keep their turns, and a new send waits until two of them are done.
        gate.Resize(1);
        var late = gate.EnterAsync("c", CancellationToken.None).AsTask();
        turns[0].Dispose();
        first.Dispose();
        Assert.False(late.IsCompleted);
        turns[1].Dispose();
        (await late).Dispose();
        Assert.Equal(0, gate.InUse);
        Assert.Equal(3, gate.HighWater);
        Assert.Equal(3, gate.Waits);
    }
}
