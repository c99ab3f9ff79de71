using System.Diagnostics;
using System.Globalization;
using SesWorker.Contracts;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>One batch published and drained (the warm-up, then the measured backlog), tagged so its rows and recipients are told apart.</summary>
internal sealed record Batch(string Tag, IReadOnlyList<SendEmail> Messages, DateTimeOffset[] Published, double PublishSeconds, bool Completed)
{
    public DateTimeOffset Start => Published[0];
}

/// <summary>Publishes a batch while the workers consume it, then waits until PostgreSQL has an outcome for every message.</summary>
internal sealed class BacklogDrain(SmtpSimulatorServer simulator, BenchDatabase database, BenchBroker broker, WorkerFleet fleet, TimeSpan timeout)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public async Task<Batch> RunAsync(IReadOnlyList<BenchAccount> accounts, string tag, int count, CancellationToken ct)
    {
        var messages = BenchMessages.Create(accounts, count, tag);
        var published = new DateTimeOffset[messages.Count];
        var publishing = Stopwatch.StartNew();
        await broker.PublishAsync(messages, published, ct);
        var publishSeconds = publishing.Elapsed.TotalSeconds;
        BenchLog.Write(string.Create(CultureInfo.InvariantCulture, $"{tag}: published {messages.Count} in {publishSeconds:F2}s"));
        var completed = await WaitForOutcomesAsync(tag, messages.Count, published[0], ct);
        return new Batch(tag, messages, published, publishSeconds, completed);
    }

    /// <summary>Until every message has a terminal row; false on timeout.</summary>
    private async Task<bool> WaitForOutcomesAsync(string tag, int count, DateTimeOffset start, CancellationToken ct)
    {
        var domain = "@" + BenchMessages.RecipientDomain(tag);
        var deadline = start + timeout;
        var nextProgress = DateTimeOffset.UtcNow + ProgressInterval;
        while (true)
        {
            fleet.EnsureRunning();
            var (_, terminal) = await database.CountAsync(tag, ct);
            var now = DateTimeOffset.UtcNow;
            if (terminal >= count)
                return true;
            if (now >= deadline || now >= nextProgress)
            {
                var ours = simulator.Transactions.Where(t => t.RcptTo.Count > 0 && t.RcptTo[0].EndsWith(domain, StringComparison.OrdinalIgnoreCase)).ToList();
                BenchLog.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{tag}: {(now - start).TotalSeconds:F0}s: simulator accepted {ours.Count(t => t.Accepted)}, refused {ours.Count(t => !t.Accepted)}; outcomes {terminal}/{count}"));
                nextProgress = now + ProgressInterval;
            }

            if (now >= deadline)
            {
                BenchLog.Write($"{tag}: timed out after {timeout.TotalSeconds:F0}s (--timeout)");
                return false;
            }

            await Task.Delay(250, ct);
        }
    }
}
