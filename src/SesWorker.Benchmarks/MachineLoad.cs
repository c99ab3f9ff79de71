using System.Diagnostics;
using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>
/// Where the machine's CPU went while the backlog drained, in percent of all cores (100 = every core busy). On a
/// shared machine other processes (test runs, builds) take CPU from the workers, PostgreSQL and RabbitMQ, and the
/// figures mean little without that context.
/// </summary>
internal sealed record MachineLoad(
    double LoadAverageAtStart,
    double LoadAverageAtEnd,
    double BusyPercent,
    double WorkersPercent,
    double BenchProcessPercent,
    double PostgresPercent,
    double RabbitMqPercent)
{
    /// <summary>Everything else: other people's processes, and system overhead.</summary>
    public double OthersPercent => BusyPercent - WorkersPercent - BenchProcessPercent - PostgresPercent - RabbitMqPercent;

    /// <param name="database">The run's database: its backends carry "postgres: user database ..." as their command line.</param>
    public static Sample Take(string database) => new(
        LoadAverage(),
        CpuTicks(),
        Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds,
        ProcStat.CpuMsOf(cmdline => cmdline.StartsWith("postgres: ", StringComparison.Ordinal) && cmdline.Contains($" {database} ", StringComparison.Ordinal)),
        // One broker for everyone: its share includes other vhosts' traffic.
        ProcStat.CpuMsOf(cmdline => cmdline.Contains("beam.smp", StringComparison.Ordinal) && cmdline.Contains("rabbit", StringComparison.Ordinal)),
        Stopwatch.GetTimestamp());

    public static MachineLoad Between(Sample start, Sample end, double workersCpuMs)
    {
        var capacityMs = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalMilliseconds * Environment.ProcessorCount;
        double Percent(double cpuMs) => 100 * cpuMs / capacityMs;
        var (busy, total) = (end.Ticks.Busy - start.Ticks.Busy, end.Ticks.Total - start.Ticks.Total);
        return new MachineLoad(
            start.LoadAverage,
            end.LoadAverage,
            total == 0 ? double.NaN : 100.0 * busy / total,
            Percent(workersCpuMs),
            Percent(end.BenchCpuMs - start.BenchCpuMs),
            Percent(end.PostgresCpuMs - start.PostgresCpuMs),
            Percent(end.RabbitMqCpuMs - start.RabbitMqCpuMs));
    }

    private static double LoadAverage() =>
        File.Exists("/proc/loadavg")
            ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture)
            : double.NaN;

    /// <summary>The aggregate "cpu" line of /proc/stat: busy = everything but idle and iowait.</summary>
    private static (long Busy, long Total) CpuTicks()
    {
        if (!File.Exists("/proc/stat"))
            return (0, 0);
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
        var total = fields.Take(8).Sum();
        return (total - fields[3] - fields[4], total);
    }

    internal sealed record Sample(
        double LoadAverage, (long Busy, long Total) Ticks, double BenchCpuMs, double PostgresCpuMs, double RabbitMqCpuMs, long Timestamp);
}
