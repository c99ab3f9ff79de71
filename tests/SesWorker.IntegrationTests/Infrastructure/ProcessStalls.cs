using System.Diagnostics;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>
/// Watches this process, which hosts the simulator, for moments it could not run: a timer that should fire every
/// 5 ms and is late by more than <paramref name="threshold"/> (a GC pause, a starved thread pool, a busy machine). The
/// simulator timestamps a command when it reads it, so during a stall it reads several connections' commands late
/// and counts them together: a rate check at the simulator must know when its own clock stood still.
/// </summary>
public sealed class ProcessStalls : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(5);
    private readonly List<(DateTimeOffset From, TimeSpan Length)> _stalls = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly TimeSpan _threshold;

    private ProcessStalls(TimeSpan threshold)
    {
        _threshold = threshold;
        _watch = Task.Run(WatchAsync);
    }

    public static ProcessStalls Start(TimeSpan threshold) => new(threshold);

    /// <summary>The stalls seen so far: when each began (wall clock) and how long it lasted.</summary>
    public IReadOnlyList<(DateTimeOffset From, TimeSpan Length)> Stalls
    {
        get
        {
            lock (_stalls)
                return [.. _stalls];
        }
    }

    /// <summary>The stalls that overlap [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public IReadOnlyList<(DateTimeOffset From, TimeSpan Length)> Within(DateTimeOffset from, DateTimeOffset to) =>
        Stalls.Where(s => s.From <= to && s.From + s.Length >= from).ToList();

    private async Task WatchAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var before = Stopwatch.GetTimestamp();
            try
            {
                await Task.Delay(Period, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var late = Stopwatch.GetElapsedTime(before) - Period;
            if (late > _threshold)
            {
                lock (_stalls)
                    _stalls.Add((DateTimeOffset.UtcNow - late, late));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        _stop.Dispose();
    }
}
