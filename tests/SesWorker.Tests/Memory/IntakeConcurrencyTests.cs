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

    [Fact]
    public void A_configured_limit_wins() =>
        Assert.Equal(16, new WorkerOptions { InFlightBytes = 128 * MiB, ConcurrentMessageLimit = 16 }.IntakeConcurrency);
}
