using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

public sealed class SendGateTests
{
    [Fact]
    public async Task Turns_beyond_the_capacity_wait_and_are_served_in_order()
    {
        var gate = new SendGate(2);
        var first = await gate.EnterAsync(CancellationToken.None);
        var second = await gate.EnterAsync(CancellationToken.None);

        var served = new List<int>();
        var third = Enter(gate, 3, served);
        var fourth = Enter(gate, 4, served);

        Assert.Equal(2, gate.InUse);
        Assert.Equal(2, gate.Waiting);
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose();
        (await third).Dispose();
        Assert.False(fourth.IsCompleted);
        second.Dispose();
        (await fourth).Dispose();

        Assert.Equal([3, 4], served);
        Assert.Equal(2, gate.HighWater);
        Assert.Equal(0, gate.InUse);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task A_cancelled_wait_takes_no_turn()
    {
        var gate = new SendGate(1);
        var held = await gate.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = gate.EnterAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Waiting);
        held.Dispose();
        Assert.Equal(0, gate.InUse);
        (await gate.EnterAsync(CancellationToken.None)).Dispose();
    }

    private static async Task<SendGate.Turn> Enter(SendGate gate, int id, List<int> served)
    {
        var turn = await gate.EnterAsync(CancellationToken.None);
        lock (served)
            served.Add(id);
        return turn;
    }
}
