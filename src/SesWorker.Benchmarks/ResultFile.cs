using System.Text.Json;
using System.Text.Json.Serialization;

namespace SesWorker.Benchmarks;

/// <summary>The run's figures as JSON: <c>.tmp/bench/&lt;run&gt;-&lt;scenario&gt;.json</c>, next to the run's worker logs.</summary>
internal static class ResultFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // A figure with no data (no accepted sends, no metrics line) is NaN rather than a misleading 0.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Write(BenchResult result, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{result.RunId}-{result.Settings.Scenario}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(result, Json));
        return path;
    }
}
