using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator;

namespace SesWorker.IntegrationTests.Failures;

/// <summary>
/// The step-down after a throttled reply meets a database that fails it (a deadlock, as PostgreSQL reports one): the
/// outcome is still the provider's. Before, the failure threw past the outcome, the consumer ran again on a row still
/// marked transmitting, recorded a false unknown ("the provider may have the message") and sent again at once, unstepped.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class StepDownFailureTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public async ValueTask DisposeAsync() =>
        await fixture.ExecuteSqlAsync("DROP TRIGGER IF EXISTS test_fail_step ON rate_limits; DROP FUNCTION IF EXISTS test_fail_step();");

    [Fact]
    public async Task A_step_down_the_database_fails_leaves_the_throttled_outcome_recorded_and_sends_nothing_again()
    {
        await fixture.ExecuteSqlAsync("""
            CREATE FUNCTION test_fail_step() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.penalty > OLD.penalty THEN
                    RAISE EXCEPTION 'deadlock detected (by the test)' USING ERRCODE = '40P01';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_fail_step BEFORE UPDATE ON rate_limits FOR EACH ROW EXECUTE FUNCTION test_fail_step();
            """);
        const string Code = "RequestLimitExceeded.SmtpRateLimit";
        fixture.Simulator.Faults.FailNextWithProviderCode(FaultTarget.Account(SesWorkerFixture.Sender), 1, Code, "smtp sending frequency limit");
        var command = TestMessages.Email();

        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        Assert.Equal(EmailStatus.DeadLettered, row.Status);
        Assert.Equal(Code, row.FailureCode);
        var attempt = Assert.Single(row.SendAttempts);
        Assert.Equal(AttemptOutcome.RateLimited, attempt.Outcome);
        Assert.Single(fixture.Simulator.Transactions);
        await fixture.TakeDeadLetterAsync(FailureChecks.RateLimitedQueue, command.EmailId, TimeSpan.FromSeconds(10));
    }
}
