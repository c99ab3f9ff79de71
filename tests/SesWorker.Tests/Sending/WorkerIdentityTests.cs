using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

/// <summary>
/// A restarted container keeps its host name and, as PID 1, its process id: the id must still be new at every start, or
/// the new process's heartbeat makes the dead one's claims look alive (README, Recovery after a crash).
/// </summary>
public sealed partial class WorkerIdentityTests
{
    [Fact]
    public void Two_starts_on_the_same_host_and_process_id_resolve_different_ids()
    {
        var first = new WorkerOptions().ResolveWorkerId();
        var second = new WorkerOptions().ResolveWorkerId();

        Assert.NotEqual(first, second);
        Assert.Matches(DefaultForm(), first);
        Assert.Matches(DefaultForm(), second);
    }

    [Fact]
    public void A_configured_id_is_kept_as_the_prefix_of_an_id_new_at_every_start()
    {
        var options = new WorkerOptions { WorkerId = "worker-a" };

        var first = options.ResolveWorkerId();
        var second = options.ResolveWorkerId();

        Assert.Matches(ConfiguredForm(), first);
        Assert.Matches(ConfiguredForm(), second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Every_component_of_one_start_reads_the_same_id_and_the_next_start_another()
    {
        using var first = Provider("worker-a");
        using var restarted = Provider("worker-a");

        var id = first.GetRequiredService<WorkerIdentity>().Id;

        Assert.Equal(id, first.GetRequiredService<WorkerIdentity>().Id);
        Assert.True(WorkerIdentity.IsOf(id, "worker-a"), id);
        Assert.NotEqual(id, restarted.GetRequiredService<WorkerIdentity>().Id);
        Assert.False(WorkerIdentity.IsOf(id, "worker"));
        Assert.False(WorkerIdentity.IsOf("worker-a-1-abcdef", "worker-a"));
    }

    private static ServiceProvider Provider(string workerId)
    {
        var services = new ServiceCollection();
        services.AddOptions<WorkerOptions>().Configure(o => o.WorkerId = workerId);
        services.AddSingleton(WorkerIdentity.Resolve);
        return services.BuildServiceProvider();
    }

    private static string Escaped(string text) => Regex.Escape(text);

    private static Regex DefaultForm() => new($"^{Escaped(Environment.MachineName)}-{Environment.ProcessId}-[0-9a-f]{{6}}$");

    [GeneratedRegex("^worker-a-[0-9a-f]{6}$")]
    private static partial Regex ConfiguredForm();
}
