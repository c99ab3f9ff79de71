namespace SesWorker.Benchmarks;

/// <summary>Progress on stderr, so stdout carries only the report.</summary>
internal static class BenchLog
{
    public static void Write(string message) => Console.Error.WriteLine($"[bench] {message}");
}
