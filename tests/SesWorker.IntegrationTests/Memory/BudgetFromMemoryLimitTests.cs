using System.Globalization;
using System.Text.RegularExpressions;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Memory;

/// <summary>
/// A worker process with no <c>Worker:InFlightBytes</c> sizes its byte budget from the memory .NET's garbage collector
/// may use: a container's limit (of which .NET takes 75%) or <c>DOTNET_GCHeapHardLimit</c>, as here. Read from the line
/// the worker logs when it stops.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed partial class BudgetFromMemoryLimitTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("0x12000000", 80)] // 288 MiB: what .NET allows its GC in a 384 MiB container
    [InlineData("0x18000000", 128)] // 384 MiB: a 512 MiB container's
    [InlineData(null, 128)] // no limit: this machine's memory
    public async Task Unset_the_budget_follows_the_memory_the_garbage_collector_may_use(string? heapHardLimit, long expectedMiB)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:SesWorker.Worker.Limiting.MetricsSummary"] = "Information",
            ["DOTNET_GCHeapHardLimit"] = heapHardLimit,
        };
        // A log of its own per case: the file is appended to.
        await using var worker = await WorkerProcess.StartAsync(fixture, $"budget-{heapHardLimit ?? "unlimited"}", overrides);

        await worker.StopAsync(TimeSpan.FromSeconds(20));

        var limit = InFlightLimit().Matches(worker.Tail(400)).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(limit.Count == 1, $"one shutdown line expected:\n{worker.Tail()}");
        Assert.Equal(expectedMiB * MiB, limit[0]);
    }

    [GeneratedRegex(@"inflight_limit_bytes=(\d+)")]
    private static partial Regex InFlightLimit();
}
