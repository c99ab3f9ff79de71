using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

public sealed class DatabaseOutageTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task An_outcome_write_waits_out_an_outage_of_hours_and_is_written_when_the_database_is_back()
    {
        // It gave up after 30 minutes before: the message was then consumed again (and sent again) or faulted with its
        // row left sending.
        var back = _clock.GetUtcNow() + TimeSpan.FromHours(2);
        var tries = 0;
        var waited = TimeSpan.Zero;
        var writing = DatabaseOutage.WaitOutAsync(
            () =>
            {
                Interlocked.Increment(ref tries);
                return _clock.GetUtcNow() < back
                    ? throw new NpgsqlException("Failed to connect to 127.0.0.1:55432", new SocketException((int)SocketError.ConnectionRefused))
                    : Task.FromResult(7);
            },
            _clock,
            (_, sinceFirst, _) => waited = sinceFirst);

        for (var step = 0; step < 10_000 && !writing.IsCompleted; step++)
        {
            var before = Volatile.Read(ref tries);
            _clock.Advance(TimeSpan.FromSeconds(30));
            // The delay's timer fired on the advance; the next try runs on the thread pool.
            var wait = Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            while (Volatile.Read(ref tries) == before && !writing.IsCompleted && !wait.IsCompleted)
                await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.Equal(7, await writing);
        Assert.True(waited >= TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), $"waited {waited}");
        Assert.InRange(tries, 240, 260);
    }

    [Fact]
    public async Task A_write_the_database_refuses_is_not_tried_again()
    {
        var tries = 0;
        var refusal = new PostgresException("value too long for type character varying(64)", "ERROR", "ERROR", "22001");

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => DatabaseOutage.WaitOutAsync<int>(
            () =>
            {
                tries++;
                throw refusal;
            },
            _clock,
            (_, _, _) => Assert.Fail("retried a refusal")));

        Assert.Same(refusal, thrown);
        Assert.Equal(1, tries);
    }

    [Fact]
    public void Outages_are_told_from_refusals()
    {
        Assert.True(DatabaseOutage.IsOutage(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.True(DatabaseOutage.IsOutage(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
        Assert.True(DatabaseOutage.IsOutage(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")));
        Assert.True(DatabaseOutage.IsOutage(new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03")));
        Assert.True(DatabaseOutage.IsOutage(new PostgresException("sorry, too many clients already", "FATAL", "FATAL", "53300")));
        Assert.True(DatabaseOutage.IsOutage(new TimeoutException()));
        Assert.True(DatabaseOutage.IsOutage(new SocketException((int)SocketError.ConnectionReset)));

        Assert.False(DatabaseOutage.IsOutage(new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505")));
        Assert.False(DatabaseOutage.IsOutage(new PostgresException("value too long", "ERROR", "ERROR", "22001")));
        Assert.False(DatabaseOutage.IsOutage(new InvalidOperationException("a defect")));
    }

    /// <summary>
    /// The first try committed and its answer was lost (the connection broke); the second finds its own claim released
    /// by that commit. Before, that null was taken for another worker's claim: the outcome logged as fenced, its event
    /// never published.
    /// </summary>
    [Fact]
    public async Task A_fenced_write_whose_lost_answer_had_committed_is_found_as_written()
    {
        var tries = 0;
        var writing = DatabaseOutage.WriteFencedAsync(
            () => ++tries == 1 ? throw new NpgsqlException("Exception while reading from stream", new IOException("reset")) : Task.FromResult<int?>(null),
            () => Task.FromResult<int?>(3),
            _clock,
            (_, _, _) => { });
        while (!writing.IsCompleted)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.Equal(3, await writing);
        Assert.Equal(2, tries);
    }

    [Fact]
    public async Task A_fenced_write_with_no_failed_try_is_another_workers_and_is_not_looked_for()
    {
        var looked = false;

        var written = await DatabaseOutage.WriteFencedAsync(
            () => Task.FromResult<int?>(null),
            () =>
            {
                looked = true;
                return Task.FromResult<int?>(3);
            },
            _clock,
            (_, _, _) => { });

        Assert.Null(written);
        Assert.False(looked);
    }
}
