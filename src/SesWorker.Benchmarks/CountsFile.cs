using System.Globalization;
using System.Text;
using SesWorker.SmtpSimulator.Counting;

namespace SesWorker.Benchmarks;

/// <summary>
/// Every call the simulator counted, as <c>counts.csv</c> in the run's log directory (appId, point, milliseconds since the
/// first publish): where the report's tightest 21 lie, next to the workers' logs of the same moments.
/// </summary>
internal static class CountsFile
{
    public static async Task WriteAsync(ProviderCounts counts, DateTimeOffset start, string path, CancellationToken ct)
    {
        var csv = new StringBuilder("app_id,point,ms\n");
        foreach (var appId in counts.AppIds)
        {
            foreach (var point in Enum.GetValues<CountPoint>())
            {
                foreach (var time in counts.Times(appId, point))
                    csv.Append(CultureInfo.InvariantCulture, $"{appId},{point},{(time - start).TotalMilliseconds:F2}\n");
            }
        }

        await File.WriteAllTextAsync(path, csv.ToString(), ct);
    }
}
