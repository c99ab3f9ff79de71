using Npgsql;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Failures;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.Persistence.Limiting;
using SesWorker.Persistence.Workers;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>The claim's SQL: a claim belongs to a live worker, a dead worker's claim is taken over, and only the owner writes.</summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ClaimOwnershipTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan TakeoverAfter = TimeSpan.FromSeconds(8);
    private NpgsqlDataSource _dataSource = null!;
    private EmailStore _store = null!;
    private WorkerHeartbeats _heartbeats = null!;

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        await fixture.StopWorkersAsync();
        _dataSource = NpgsqlDataSource.Create(fixture.DatabaseConnectionString);
        _store = new EmailStore(_dataSource, TimeProvider.System);
        _heartbeats = new WorkerHeartbeats(_dataSource);
        await _heartbeats.BeatAsync("w1", TestContext.Current.CancellationToken);
        await _heartbeats.BeatAsync("w2", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    private Task<ClaimResult> ClaimAsync(SendEmail command, string workerId, bool takeOverSilentOwners = true) =>
        _store.ClaimAsync(command, workerId, TakeoverAfter, takeOverSilentOwners, allowDeadLettered: false, TestContext.Current.CancellationToken);

    /// <summary>
    /// A claimer whose own beats did not go through all the time the owner has been silent (the database was away, so
    /// nobody's were written) leaves the owner its email: it waits in the held queue, and the owner beats again within an
    /// interval. Before, the first copy to claim once PostgreSQL was back took a live worker's email and sent it again.
    /// </summary>
    [Fact]
    public async Task A_silent_owner_keeps_its_email_from_a_claimer_that_has_not_itself_beaten_all_that_time()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        await StopBeatingAsync("w1");

        var afterOutage = await ClaimAsync(command, "w2", takeOverSilentOwners: false);
        var beatenThroughout = await ClaimAsync(command, "w2");

        Assert.Equal(ClaimState.Claimed, first.State);
        Assert.Equal(ClaimState.HeldElsewhere, afterOutage.State);
        Assert.Equal(TimeSpan.Zero, afterOutage.OwnerStaleIn);
        Assert.Equal(ClaimState.Claimed, beatenThroughout.State);
    }

    /// <summary>A write that committed and whose answer was lost, tried again: fenced by its own commit, and found as written.</summary>
    [Fact]
    public async Task An_outcome_written_once_is_found_as_this_workers_own_and_another_workers_is_not()
    {
        var command = TestMessages.Email();
        var claim = await ClaimAsync(command, "w1");
        var record = Record(command, "w1", claim.Token, EmailStatus.Sent);
        var written = await _store.RecordAsync(record, TestContext.Current.CancellationToken);

        var again = await _store.RecordAsync(record, TestContext.Current.CancellationToken);
        var found = await _store.FindRecordedAsync(record, TestContext.Current.CancellationToken);
        var asAnother = await _store.FindRecordedAsync(record with { WorkerId = "w2" }, TestContext.Current.CancellationToken);
        var anotherStart = await _store.FindRecordedAsync(record with { StartedAt = record.StartedAt.AddSeconds(-1) }, TestContext.Current.CancellationToken);
        var anotherStatus = await _store.FindRecordedAsync(record with { NewStatus = EmailStatus.Failed }, TestContext.Current.CancellationToken);

        Assert.Equal(1, written);
        Assert.Null(again);
        Assert.Equal(1, found);
        Assert.Null(asAnother);
        Assert.Null(anotherStart);
        Assert.Null(anotherStatus);
    }

    [Fact]
    public async Task A_claim_handed_back_is_taken_at_once_even_by_a_claimer_that_cannot_take_over_silent_owners()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        Assert.True(await _store.HandBackAsync(command.EmailId, first.Token, TestContext.Current.CancellationToken));

        var next = await ClaimAsync(command, "w2", takeOverSilentOwners: false);

        Assert.Equal(ClaimState.Claimed, next.State);
    }

    [Fact]
    public async Task A_first_sight_writes_the_row_claimed_in_one_version()
    {
        // Emptied again here: the worker the fixture started ran its warm-up's claims, and rolled-back versions keep their
        // places on the page.
        await using (var truncate = _dataSource.CreateCommand("TRUNCATE send_attempts, email_messages"))
            await truncate.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        var command = TestMessages.Email();
        var claim = await ClaimAsync(command, "w1");

        Assert.Equal(ClaimState.Claimed, claim.State);
        Assert.Equal(0, claim.Attempts);
        // The table was emptied (TRUNCATE: a new, empty file): its first row version is the first item of the first
        // page. An insert followed by an update (the claim) would have left the live version second.
        await using var command2 = _dataSource.CreateCommand("SELECT ctid::text, status, worker_id, claim_token FROM email_messages WHERE email_id = $1");
        command2.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = command.EmailId });
        await using var reader = await command2.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal("(0,1)", reader.GetString(0));
        Assert.Equal(EmailStatus.Sending, reader.GetString(1));
        Assert.Equal("w1", reader.GetString(2));
        Assert.Equal(claim.Token, reader.GetGuid(3));
    }

    [Fact]
    public async Task A_live_owners_email_is_not_claimed_by_a_copy_and_the_copy_learns_when_to_come_back()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        var copy = await ClaimAsync(command, "w2");

        Assert.Equal(ClaimState.Claimed, first.State);
        Assert.Equal(ClaimState.HeldElsewhere, copy.State);
        Assert.InRange(copy.OwnerStaleIn!.Value.TotalSeconds, 7, 8);
    }

    [Fact]
    public async Task A_silent_owner_loses_the_email_and_its_late_writes_change_nothing()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        await StopBeatingAsync("w1");

        var takeover = await ClaimAsync(command, "w2");
        var late = await _store.RecordAsync(Record(command, "w1", first.Token, EmailStatus.Retrying), TestContext.Current.CancellationToken);
        var released = await _store.ReleaseAsync(command.EmailId, first.Token, EmailStatus.Deferred, null, TestContext.Current.CancellationToken);
        var own = await _store.RecordAsync(Record(command, "w2", takeover.Token, EmailStatus.Sent), TestContext.Current.CancellationToken);

        Assert.Equal(ClaimState.Claimed, takeover.State);
        Assert.False(takeover.RecoveredUnknown);
        Assert.Null(late);
        Assert.False(released);
        Assert.Equal(1, own);
        var row = await fixture.ReadRowAsync(command.EmailId);
        Assert.Equal(EmailStatus.Sent, row.Status);
        Assert.Equal("w2", Assert.Single(row.SendAttempts).WorkerId);
    }

    [Fact]
    public async Task An_owner_that_died_during_its_transaction_leaves_an_unknown_attempt_and_the_email_is_sent_again()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        var slot = await ReserveSlotAsync(command, first.Token);
        await StopBeatingAsync("w1");

        var takeover = await ClaimAsync(command, "w2");

        Assert.Equal(RateLimitVerdict.Granted, slot.Verdict);
        Assert.True(takeover.RecoveredUnknown);
        Assert.Equal(1, takeover.Attempts);
        var attempt = Assert.Single((await fixture.ReadRowAsync(command.EmailId)).SendAttempts);
        Assert.Equal(AttemptOutcome.Unknown, attempt.Outcome);
        Assert.Equal("SesWorker.OwnerLost", attempt.ProviderCode);
        Assert.Equal("w1", attempt.WorkerId);
    }

    [Fact]
    public async Task A_claim_handed_back_by_its_live_owner_goes_to_the_next_copy_at_once_and_its_late_writes_change_nothing()
    {
        // A consume cut before an outcome (the broker's connection lost): its owner is alive and beating, and before, the
        // copy that reached the other worker was deferred until it happened to reach the owner.
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        Assert.Equal(ClaimState.HeldElsewhere, (await ClaimAsync(command, "w2")).State);

        Assert.True(await _store.HandBackAsync(command.EmailId, first.Token, TestContext.Current.CancellationToken));
        var copy = await ClaimAsync(command, "w2");
        var late = await _store.RecordAsync(Record(command, "w1", first.Token, EmailStatus.Sent), TestContext.Current.CancellationToken);

        Assert.Equal(ClaimState.Claimed, copy.State);
        Assert.False(copy.RecoveredUnknown);
        Assert.Equal(0, copy.Attempts);
        Assert.Null(late);
        Assert.False(await _store.HandBackAsync(command.EmailId, first.Token, TestContext.Current.CancellationToken));
        Assert.Empty((await fixture.ReadRowAsync(command.EmailId)).SendAttempts);
    }

    [Fact]
    public async Task A_claim_handed_back_after_its_slot_was_granted_leaves_an_unknown_attempt()
    {
        var command = TestMessages.Email();
        var first = await ClaimAsync(command, "w1");
        var slot = await ReserveSlotAsync(command, first.Token);

        Assert.True(await _store.HandBackAsync(command.EmailId, first.Token, TestContext.Current.CancellationToken));
        var copy = await ClaimAsync(command, "w2");

        Assert.Equal(RateLimitVerdict.Granted, slot.Verdict);
        Assert.Equal(ClaimState.Claimed, copy.State);
        Assert.True(copy.RecoveredUnknown);
        var attempt = Assert.Single((await fixture.ReadRowAsync(command.EmailId)).SendAttempts);
        Assert.Equal(AttemptOutcome.Unknown, attempt.Outcome);
        Assert.Equal("w1", attempt.WorkerId);
    }

    [Fact]
    public async Task A_worker_that_stopped_cleanly_hands_its_emails_over_at_once()
    {
        var command = TestMessages.Email();
        await ClaimAsync(command, "w1");
        await _heartbeats.RemoveAsync("w1", TestContext.Current.CancellationToken);

        Assert.Equal(ClaimState.Claimed, (await ClaimAsync(command, "w2")).State);
    }

    /// <summary>A slot for the email under its claim: the reservation marks it transmitting, as a send's does.</summary>
    private Task<RateLimitGrant> ReserveSlotAsync(SendEmail command, Guid claimToken) =>
        new PostgresRateLimiter(_dataSource).TryReserveAsync(command.AppId!, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), TimeSpan.Zero,
            TimeSpan.FromMinutes(1), (command.EmailId, claimToken), leadless: false, 20, TimeSpan.Zero, TimeSpan.Zero, TestContext.Current.CancellationToken);

    private static AttemptRecord Record(SendEmail command, string workerId, Guid token, string status) => new()
    {
        EmailId = command.EmailId,
        WorkerId = workerId,
        ClaimToken = token,
        StartedAt = DateTimeOffset.UtcNow,
        Outcome = status == EmailStatus.Sent ? AttemptOutcome.Sent : AttemptOutcome.Transient,
        NewStatus = status,
    };

    private async Task StopBeatingAsync(string workerId)
    {
        await using var command = _dataSource.CreateCommand("UPDATE workers SET heartbeat_at = now() - interval '1 minute' WHERE worker_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
