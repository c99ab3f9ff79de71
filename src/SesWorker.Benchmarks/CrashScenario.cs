using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>
/// kill -9 of one worker mid-run: the backlog is published, the first worker is killed once the simulator has accepted
/// --kill-after sends, and the run lasts until every email has a terminal row (or --max-seconds). The pause is measured
/// over that run; the takeover and the duplicates once the workers have stopped, so a late second send is not missed.
/// </summary>
internal static class CrashScenario
{
    public static async Task<(Batch Batch, Func<CancellationToken, Task<CrashFigures>> Figures)> RunAsync(
        BacklogDrain drain, BenchDatabase database, WorkerFleet fleet, IReadOnlyList<BenchAccount> accounts, string runId, BenchSettings settings, CancellationToken ct)
    {
        var batch = await drain.PublishAsync(accounts, runId, settings.Backlog, ct);
        var deadline = batch.Start + drain.Timeout;
        while (drain.Ours(runId).Count(t => t.Accepted) < settings.KillAfter)
        {
            fleet.EnsureRunning();
            if (DateTimeOffset.UtcNow >= deadline)
                throw new BenchmarkException($"fewer than {settings.KillAfter} sends accepted within --max-seconds: nothing to kill mid-run");
            await Task.Delay(50, ct);
        }

        var victim = fleet.Workers[0];
        victim.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        var held = await database.UnfinishedOfAsync(runId, victim.Id, ct);
        BenchLog.Write(string.Create(CultureInfo.InvariantCulture,
            $"{runId}: killed {victim.Id} (pid {victim.Pid}) at {(killedAt - batch.Start).TotalSeconds:F1}s; it held {held.Count} unfinished email(s)"));

        batch = batch with { Completed = await drain.WaitAsync(batch, deadline, ct) };
        var end = DateTimeOffset.UtcNow;

        var accepted = drain.Ours(runId).Where(t => t.Accepted).OrderBy(t => t.At).ToList();
        var before = accepted.Where(t => t.At <= killedAt).ToList();
        var points = new List<DateTimeOffset> { before.Count > 0 ? before[^1].At : killedAt };
        points.AddRange(accepted.Where(t => t.At > killedAt).Select(t => t.At));
        if (!batch.Completed)
            points.Add(end);
        var (pause, pauseStart) = (TimeSpan.Zero, killedAt);
        for (var i = 1; i < points.Count; i++)
        {
            if (points[i] - points[i - 1] > pause)
                (pause, pauseStart) = (points[i] - points[i - 1], points[i - 1]);
        }

        var firstAfter = accepted.FirstOrDefault(t => t.At > killedAt);
        return (batch, async ct =>
        {
            var completedAt = await database.CompletedAtAsync(held.Select(h => h.EmailId).ToList(), ct);
            var notFinished = held.Count(h => completedAt.GetValueOrDefault(h.EmailId) is null);
            var takeover = held.Count == 0 ? 0
                : notFinished > 0 ? (double?)null
                : (held.Max(h => completedAt[h.EmailId]!.Value) - killedAt).TotalSeconds;

            var emailByRecipient = batch.Messages.ToDictionary(m => m.To![0].Address, m => m.EmailId, StringComparer.OrdinalIgnoreCase);
            var duplicated = drain.Ours(runId).Where(t => t.Accepted).GroupBy(t => t.RcptTo[0], StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1)
                .Select(g => emailByRecipient[g.Key]).ToList();
            var unknown = await database.RecordedUnknownAsync(runId, ct);
            var duplicatesUnknown = duplicated.Count(unknown.Contains);

            return new CrashFigures(
                victim.Id,
                (killedAt - batch.Start).TotalSeconds,
                before.Count,
                held.Count,
                held.GroupBy(h => h.Status).ToDictionary(g => g.Key, g => g.Count()),
                pause.TotalSeconds,
                (pauseStart - killedAt).TotalSeconds,
                firstAfter is null ? null : (firstAfter.At - killedAt).TotalSeconds,
                takeover,
                notFinished,
                duplicated.Count,
                duplicatesUnknown,
                duplicated.Count - duplicatesUnknown);
        });
    }
}
