using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>CPU time of processes from /proc, for the workers and for the servers the run leans on.</summary>
internal static class ProcStat
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat, fixed at 100 by the Linux ABI on x86 and ARM.
    private const double ClockTicksPerSecond = 100;

    /// <summary>utime + stime of <paramref name="pid"/> in milliseconds; null once the process has gone.</summary>
    public static double? CpuMs(int pid) => CpuMs($"/proc/{pid}");

    /// <summary>
    /// CPU of each thread of the runtime's tiered compilation (the background JIT that recompiles hot methods), by thread
    /// id. The thread exits when idle and a new one starts later, so callers keep the last figure of each.
    /// </summary>
    public static IReadOnlyList<(int Tid, double CpuMs)> TieredCompilationThreads(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Where(task => File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                .Select(task => (int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture), CpuMs(task) ?? 0))
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static double? CpuMs(string procDirectory)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
            // The command name (field 2) may contain spaces; the fields after its closing parenthesis start at field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
            return ticks * 1000 / ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Summed CPU of every process whose command line (NUL-separated, as in /proc) satisfies <paramref name="matches"/>.</summary>
    public static double CpuMsOf(Func<string, bool> matches)
    {
        var sum = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                if (matches(File.ReadAllText(Path.Combine(directory, "cmdline"))))
                    sum += CpuMs(pid) ?? 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while listing.
            }
        }

        return sum;
    }
}
