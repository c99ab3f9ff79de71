namespace SesWorker.Benchmarks;

/// <summary>A run that cannot go on or complete; the message says why, for the console.</summary>
internal sealed class BenchmarkException(string message) : Exception(message);
