using SesWorker.Worker.Memory;

namespace SesWorker.Tests.Memory;

public sealed class ByteBudgetTests
{
    [Fact]
    public async Task What_fits_is_taken_at_once_and_given_back_on_dispose()
    {
        var budget = new ByteBudget(100);

        var a = await budget.AcquireAsync(60, CancellationToken.None);
        var b = await budget.AcquireAsync(40, CancellationToken.None);

        Assert.Equal(100, budget.InFlight);
        a.Dispose();
        a.Dispose();
        Assert.Equal(40, budget.InFlight);
        b.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.Equal(100, budget.HighWater);
    }

    [Fact]
    public async Task A_message_that_does_not_fit_waits_until_enough_is_given_back()
    {
        var budget = new ByteBudget(100);
        var held = await budget.AcquireAsync(70, CancellationToken.None);

        var waiting = budget.AcquireAsync(50, CancellationToken.None).AsTask();

        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, budget.Waiting);
        held.Dispose();
        using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(50, budget.InFlight);
        Assert.Equal(70, budget.HighWater);
    }

    [Fact]
    public async Task A_message_larger_than_the_budget_waits_for_everything_and_then_goes_alone()
    {
        var budget = new ByteBudget(100);
        var small = await budget.AcquireAsync(10, CancellationToken.None);

        var huge = budget.AcquireAsync(1_000, CancellationToken.None).AsTask();
        var after = budget.AcquireAsync(1, CancellationToken.None).AsTask();

        Assert.False(huge.IsCompleted);
        small.Dispose();
        var hugeLease = await huge.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(100, budget.InFlight);
        Assert.Equal(1, budget.Oversized);
        Assert.False(after.IsCompleted);
        hugeLease.Dispose();
        (await after.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(100, budget.HighWater);
    }

    [Fact]
    public async Task Waiters_are_served_in_order_so_a_large_one_is_not_overtaken_by_small_ones()
    {
        var budget = new ByteBudget(100);
        var held = await budget.AcquireAsync(60, CancellationToken.None);

        var large = budget.AcquireAsync(80, CancellationToken.None).AsTask();
        var small = budget.AcquireAsync(10, CancellationToken.None).AsTask();

        // 10 would fit beside the 60 held, but the 80 came first.
        Assert.False(small.IsCompleted);
        held.Dispose();
        using var largeLease = await large.WaitAsync(TimeSpan.FromSeconds(5));
        using var smallLease = await small.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(90, budget.InFlight);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_lets_the_next_one_through()
    {
        var budget = new ByteBudget(100);
        var held = await budget.AcquireAsync(50, CancellationToken.None);
        using var cancellation = new CancellationTokenSource();

        var blocked = budget.AcquireAsync(100, cancellation.Token).AsTask();
        var next = budget.AcquireAsync(50, CancellationToken.None).AsTask();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        using var nextLease = await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, budget.Waiting);
        Assert.Equal(100, budget.InFlight);
        held.Dispose();
    }

    [Fact]
    public async Task Many_concurrent_messages_never_take_more_than_the_budget()
    {
        var budget = new ByteBudget(1_000);
        var sizes = Enumerable.Range(0, 400).Select(i => (long)(i * 37 % 700) + 1).ToArray();

        await Parallel.ForEachAsync(sizes, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (size, ct) =>
        {
            using var lease = await budget.AcquireAsync(size, ct);
            Assert.InRange(budget.InFlight, size, 1_000);
            await Task.Yield();
        });

        Assert.Equal(0, budget.InFlight);
        Assert.InRange(budget.HighWater, 700, 1_000);
    }
}
