using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Memory;

public sealed class IntakeConcurrencyTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(128 * MiB, 4)]
    [InlineData(512 * MiB, 16)]
    [InlineData(20 * MiB, 1)]
    [InlineData(64L * 1024 * MiB, 64)]
    public void Unset_the_intake_holds_as_many_of_the_largest_bodies_as_the_budget_does(long budget, int expected) =>
        Assert.Equal(expected, new WorkerOptions { InFlightBytes = budget }.IntakeConcurrency);

    [Theory]
    [InlineData(24L * 1024 * MiB, 128 * MiB)] // a machine without a limit
    [InlineData(384 * MiB, 128 * MiB)] // a 512 MiB container (.NET's GC gets 75%)
    [InlineData(288 * MiB, 80 * MiB)] // a 384 MiB container
    [InlineData(192 * MiB, 32 * MiB)] // a 256 MiB container
    [InlineData(96 * MiB, 32 * MiB)]
    public void Unset_the_budget_is_half_of_what_the_garbage_collector_has_beyond_128_MiB_within_32_to_128_MiB(long gcAvailable, long expected) =>
        Assert.Equal(expected, WorkerOptions.DefaultInFlightBytes(gcAvailable));

    [Fact]
    public void A_configured_limit_wins() =>
        Assert.Equal(16, new WorkerOptions { InFlightBytes = 128 * MiB, ConcurrentMessageLimit = 16 }.IntakeConcurrency);
}
