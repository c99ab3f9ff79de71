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

    public TimeSpan Timeout => timeout;

    public async Task<Batch> RunAsync(IReadOnlyList<BenchAccount> accounts, string tag, int count, CancellationToken ct, bool memory = false)
    {
        var batch = await PublishAsync(accounts, tag, count, ct, memory);
        return batch with { Completed = await WaitAsync(batch, batch.Start + timeout, ct) };
    }

    /// <summary>Publishes without waiting; the batch is not <see cref="Batch.Completed"/> yet.</summary>
    /// <param name="memory">The memory scenario's messages, with large attachments.</param>
    public async Task<Batch> PublishAsync(IReadOnlyList<BenchAccount> accounts, string tag, int count, CancellationToken ct, bool memory = false)
    {
        var messages = memory ? BenchMessages.CreateWithAttachments(accounts, count, tag) : BenchMessages.Create(accounts, count, tag);
        var published = new DateTimeOffset[messages.Count];
        var publishing = Stopwatch.StartNew();
        await broker.PublishAsync(messages, published, ct);
        var publishSeconds = publishing.Elapsed.TotalSeconds;
        BenchLog.Write(string.Create(CultureInfo.InvariantCulture, $"{tag}: published {messages.Count} in {publishSeconds:F2}s"));
        return new Batch(tag, messages, published, publishSeconds, Completed: false);
    }

    /// <summary>Until every message of the batch has a terminal row; false at <paramref name="deadline"/>.</summary>
    public async Task<bool> WaitAsync(Batch batch, DateTimeOffset deadline, CancellationToken ct)
    {
        var nextProgress = DateTimeOffset.UtcNow + ProgressInterval;
        while (true)
        {
            fleet.EnsureRunning();
            var (_, terminal) = await database.CountAsync(batch.Tag, ct);
            var now = DateTimeOffset.UtcNow;
            if (terminal >= batch.Messages.Count)
                return true;
            if (now >= deadline || now >= nextProgress)
            {
                var ours = Ours(batch.Tag);
                BenchLog.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{batch.Tag}: {(now - batch.Start).TotalSeconds:F0}s: simulator accepted {ours.Count(t => t.Accepted)}, refused {ours.Count(t => !t.Accepted)}; outcomes {terminal}/{batch.Messages.Count}"));
                nextProgress = now + ProgressInterval;
            }

            if (now >= deadline)
            {
                BenchLog.Write($"{batch.Tag}: not done after {(deadline - batch.Start).TotalSeconds:F0}s (--max-seconds)");
                return false;
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>The simulator's transactions for the batch's recipients.</summary>
    public List<SmtpTransaction> Ours(string tag) => BenchMessages.Of(tag, simulator.Transactions);
}
