using Microsoft.EntityFrameworkCore;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Cli;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// An outcome PostgreSQL answers but refuses (a defect: a constraint, a value it rejects), as against one it cannot be
/// reached for (waited out, however long): the message is faulted once, not consumed and sent again per retry, and
/// the email is handed back so that a redrive is claimed at once and recorded unknown before it is sent again.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class OutcomeRefusedTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly string LaneErrors = $"{SesWorkerFixture.QueueName}-app-{SesWorkerFixture.AppId}_error";

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public async ValueTask DisposeAsync() => await fixture.ExecuteSqlAsync("DROP TRIGGER IF EXISTS test_refuse_attempt ON send_attempts; DROP FUNCTION IF EXISTS test_refuse_attempt();");

    [Fact]
    public async Task A_refused_outcome_faults_the_message_once_and_its_redrive_is_recorded_unknown_then_sent()
    {
        var command = TestMessages.Email();
        // The defect stands in as a trigger: PostgreSQL refuses this email's attempt rows but the unknown one.
        await fixture.ExecuteSqlAsync($"""
            CREATE FUNCTION test_refuse_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.email_id = '{command.EmailId}' AND NEW.outcome <> '{AttemptOutcome.Unknown}' THEN
                    RAISE EXCEPTION 'refused by the test' USING ERRCODE = '22001';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_refuse_attempt BEFORE INSERT ON send_attempts FOR EACH ROW EXECUTE FUNCTION test_refuse_attempt();
            """);

        await fixture.PublishRawAsync([command]);

        // Before: the refusal was taken for an outage and retried for 30 minutes, the message unacknowledged.
        await fixture.WaitForQueueAsync(LaneErrors, 1);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Single(fixture.Simulator.Messages);
        Assert.Equal(1u, await fixture.CountAsync(LaneErrors));
        await using (var db = fixture.CreateDbContext())
        {
            var row = await db.EmailMessages.AsNoTracking().SingleAsync(e => e.EmailId == command.EmailId, TestContext.Current.CancellationToken);
            Assert.Equal(EmailStatus.Sending, row.Status);
        }

        Assert.True(await fixture.ScalarAsync<bool>($"SELECT claim_token IS NULL AND transmitting_at IS NOT NULL FROM email_messages WHERE email_id = '{command.EmailId}'"),
            "handed back with its transmitting mark");

        await DisposeAsync();
        var (exitCode, output) = await fixture.RunAsync("dlq", "redrive", "--queue", LaneErrors, "--all");
        Assert.True(exitCode == 0, output);

        var done = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(EmailStatus.Sent, done.Status);
        Assert.Equal(2, fixture.Simulator.Messages.Count);
        await using (var db = fixture.CreateDbContext())
        {
            var outcomes = await db.SendAttempts.AsNoTracking().Where(a => a.EmailId == command.EmailId).OrderBy(a => a.AttemptNumber)
                .Select(a => a.Outcome).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Equal([AttemptOutcome.Unknown, AttemptOutcome.Sent], outcomes);
        }
    }
}
