using System.Globalization;
using System.Runtime.InteropServices;

namespace SesWorker.Benchmarks;

/// <summary>The machine the figures belong to, from /proc.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, double MemoryGiB, string Os, string Runtime)
{
    public static MachineInfo Read()
    {
        var cpuinfo = ReadLines("/proc/cpuinfo");
        var cpu = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var cores = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        var memTotal = ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memoryKiB = memTotal is null ? 0 : double.Parse(memTotal.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var os = ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            ?? RuntimeInformation.OSDescription;
        return new MachineInfo(cpu, cores == 0 ? Environment.ProcessorCount : cores, memoryKiB / (1024 * 1024), os, RuntimeInformation.FrameworkDescription);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Cpu}, {Cores} cores, {MemoryGiB:F1} GiB RAM, {Os}, {Runtime}");

    private static string[] ReadLines(string path) => File.Exists(path) ? File.ReadAllLines(path) : [];
}
