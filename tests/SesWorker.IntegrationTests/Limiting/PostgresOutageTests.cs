using MimeKit;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.Limiting;

[Collection(ServiceBackedTests.Name)]
public sealed class PostgresOutageTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task While_PostgreSQL_is_down_nothing_is_sent_and_after_it_returns_everything_is_sent_once()
    {
        var commands = Enumerable.Range(0, 60).Select(_ => TestMessages.Email()).ToList();
        foreach (var command in commands)
            await fixture.PublishAsync(command);
        await fixture.Simulator.WaitForMessagesAsync(10, TimeSpan.FromSeconds(30));

        await fixture.StopPostgresAsync();
        int duringOutage;
        try
        {
            // Sends that held a slot before the stop may finish; after that, no slot means no send (fail closed).
            // (A slot is reserved at most 400 ms ahead; 3 s also covers a slow SMTP reply on a busy machine.)
            await Task.Delay(TimeSpan.FromSeconds(3));
            var settled = fixture.Simulator.Messages.Count;
            await Task.Delay(TimeSpan.FromSeconds(6));
            duringOutage = fixture.Simulator.Messages.Count - settled;
        }
        finally
        {
            await fixture.StartPostgresAsync();
        }

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));

        Assert.True(duringOutage == 0, $"{duringOutage} sends while PostgreSQL was down");
        Assert.All(rows, r => Assert.Equal(EmailStatus.Sent, r.Status));
        var received = fixture.Simulator.Messages
            .Select(m => MimeMessage.Load(new MemoryStream(m.Data)).MessageId)
            .ToList();
        var twice = received.GroupBy(m => m).Where(g => g.Count() > 1).Select(g => rows.Single(r => r.MessageId == g.Key)).ToList();
        Assert.True(twice.Count == 0, "sent twice: " + string.Join("; ", twice.Select(r =>
            $"{r.EmailId} attempts {r.Attempts}: " + string.Join(", ", r.SendAttempts.OrderBy(a => a.AttemptNumber).Select(a => $"{a.AttemptNumber} {a.Outcome} {a.WorkerId} {a.StartedAt:ss.fff}")))));
        Assert.Equal(commands.Count, received.Count);
        Assert.Equal(rows.Select(r => r.MessageId).Order(), received.Order());
    }
}
