using Microsoft.EntityFrameworkCore;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Infrastructure;

internal static class HistoryAssertions
{
    /// <summary>Waits until every email has a terminal row (sent, failed, dead_lettered), then returns the rows.</summary>
    public static async Task<List<EmailMessage>> WaitForTerminalAsync(this SesWorkerFixture fixture, IReadOnlyCollection<Guid> emailIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            List<EmailMessage> rows;
            try
            {
                await using var db = fixture.CreateDbContext();
                rows = await db.EmailMessages.AsNoTracking().Include(e => e.SendAttempts)
                    .Where(e => emailIds.Contains(e.EmailId)).ToListAsync();
            }
            catch (Exception exception) when (DateTime.UtcNow < deadline && exception is Npgsql.NpgsqlException or InvalidOperationException)
            {
                // The outage test restarts PostgreSQL: pooled connections fail once, then reconnect.
                await Task.Delay(200);
                continue;
            }

            var done = rows.Count(r => EmailStatus.IsTerminal(r.Status));
            if (done == emailIds.Count)
                return rows;
            if (DateTime.UtcNow > deadline)
            {
                var states = string.Join(", ", rows.GroupBy(r => r.Status).Select(g => $"{g.Key}: {g.Count()}"));
                throw new TimeoutException($"{done} of {emailIds.Count} emails terminal after {timeout} ({rows.Count} rows; {states}).");
            }

            await Task.Delay(100);
        }
    }

    public static async Task<EmailMessage> WaitForTerminalAsync(this SesWorkerFixture fixture, Guid emailId, TimeSpan? timeout = null) =>
        (await fixture.WaitForTerminalAsync([emailId], timeout ?? TimeSpan.FromSeconds(30))).Single();

    /// <summary>Waits until the email's row has the given (possibly non-terminal) status.</summary>
    public static async Task<EmailMessage> WaitForStatusAsync(this SesWorkerFixture fixture, Guid emailId, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            await using var db = fixture.CreateDbContext();
            var row = await db.EmailMessages.AsNoTracking().Include(e => e.SendAttempts).SingleOrDefaultAsync(e => e.EmailId == emailId);
            if (row?.Status == status)
                return row;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"email {emailId} is {row?.Status ?? "absent"} ({row?.FailureCode} {row?.FailureMessage}), not {status}");
            await Task.Delay(50);
        }
    }
}
