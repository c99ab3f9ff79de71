using System.Diagnostics;
using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>
/// How busy the machine was while the backlog drained: on a shared machine other processes (test runs) take CPU
/// from the workers, PostgreSQL and RabbitMQ, and the figures mean little without that context.
/// </summary>
internal sealed record MachineLoad(double LoadAverageAtStart, double LoadAverageAtEnd, double BusyPercent, double BenchProcessPercent, double WorkersPercent)
{
    /// <summary>Percent of all cores (100 = every core busy) used by neither the workers nor this process: PostgreSQL, RabbitMQ, the rest.</summary>
    public double OthersPercent => BusyPercent - BenchProcessPercent - WorkersPercent;

    public static Sample Take() => new(LoadAverage(), CpuTicks(), Process.GetCurrentProcess().TotalProcessorTime, Stopwatch.GetTimestamp());

    public static MachineLoad Between(Sample start, Sample end, double workersCpuMs)
    {
        var capacityMs = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalMilliseconds * Environment.ProcessorCount;
        var (busy, total) = (end.Ticks.Busy - start.Ticks.Busy, end.Ticks.Total - start.Ticks.Total);
        return new MachineLoad(
            start.LoadAverage,
            end.LoadAverage,
            total == 0 ? double.NaN : 100.0 * busy / total,
            100 * (end.BenchCpu - start.BenchCpu).TotalMilliseconds / capacityMs,
            100 * workersCpuMs / capacityMs);
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
        // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user and nice]
        var total = fields.Take(8).Sum();
        return (total - fields[3] - fields[4], total);
    }

    internal sealed record Sample(double LoadAverage, (long Busy, long Total) Ticks, TimeSpan BenchCpu, long Timestamp);
}
