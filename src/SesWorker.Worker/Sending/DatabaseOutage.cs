using System.Net.Sockets;
using Npgsql;

namespace SesWorker.Worker.Sending;

/// <summary>Waits out a database that does not answer, for a write that must not be given up.</summary>
internal static class DatabaseOutage
{
    /// <summary>The longest wait between two tries: a database back answers the next one within this.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether <paramref name="exception"/> says the database could not be reached or did not answer (and so may later),
    /// as opposed to a refusal of the statement itself: Npgsql's own judgement (<see cref="NpgsqlException.IsTransient"/>:
    /// broken connections, timeouts, an exhausted pool, PostgreSQL shutting down or starting up, too many clients),
    /// and the socket and timeout errors met outside Npgsql's wrapping.
    /// </summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or SocketException or IOException => true,
        _ => false,
    };

    /// <summary>
    /// <see cref="WaitOutAsync{T}"/> for a fenced write that returns null when its claim is gone: a try whose answer was
    /// lost (a broken connection, a command timed out while the database was frozen) may still have committed, and the
    /// next try then finds the claim released by that very commit. So once a try has failed, a null is checked with
    /// <paramref name="findWritten"/> (the write's own result if it is on the row) before it counts as fenced. Before,
    /// such an outcome was taken for another worker's: logged as fenced, its event never published.
    /// </summary>
    public static Task<int?> WriteFencedAsync(Func<Task<int?>> write, Func<Task<int?>> findWritten, TimeProvider timeProvider,
        Action<Exception, TimeSpan, TimeSpan> onRetry)
    {
        var failed = false;
        return WaitOutAsync(
            async () => await write() ?? (failed ? await findWritten() : null),
            timeProvider,
            (exception, waited, delay) =>
            {
                failed = true;
                onRetry(exception, waited, delay);
            });
    }

    /// <summary>
    /// Runs <paramref name="write"/> until it succeeds, however long the database is away, and rethrows at once what
    /// is not an outage. <paramref name="onRetry"/> is told each failure, the time since the first one and the delay.
    /// </summary>
    public static async Task<T> WaitOutAsync<T>(Func<Task<T>> write, TimeProvider timeProvider, Action<Exception, TimeSpan, TimeSpan> onRetry)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        long? firstFailure = null;
        while (true)
        {
            try
            {
                return await write();
            }
            catch (Exception exception) when (IsOutage(exception))
            {
                firstFailure ??= timeProvider.GetTimestamp();
                onRetry(exception, timeProvider.GetElapsedTime(firstFailure.Value), delay);
                await Task.Delay(delay, timeProvider);
                delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay;
            }
        }
    }
}
