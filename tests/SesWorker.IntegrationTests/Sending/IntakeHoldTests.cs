using System.Text;
using Microsoft.EntityFrameworkCore;
using RabbitMQ.Client;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Failures;
using SesWorker.SmtpSimulator.Latency;
using SesWorker.Worker.Sending;

namespace SesWorker.IntegrationTests.Sending;

/// <summary>
/// What the intake does when it cannot finish a message's way to its lane, or meets a second, broken copy of an email
/// this worker is sending: every email still ends in the one terminal state its good copy earns.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class IntakeHoldTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly string Lane = $"{SesWorkerFixture.QueueName}-app-{SesWorkerFixture.AppId}";

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task A_lane_the_broker_cannot_route_to_holds_the_message_in_the_intake_until_it_can()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        // The lane's exchange gone (an operator's slip, or a replica whose lane is not declared yet): the broker closes the
        // forwarding channel with 404 for every body sent there.
        await channel.ExchangeDeleteAsync(Lane, cancellationToken: TestContext.Current.CancellationToken);
        try
        {
            var command = TestMessages.Email();
            await fixture.PublishRawAsync([command]);
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

            // Held by the intake: not faulted into send-email_error (where it had no history row), not acknowledged.
            Assert.Equal(0u, await fixture.CountAsync("send-email_error"));
            await using (var db = fixture.CreateDbContext())
                Assert.False(await db.EmailMessages.AnyAsync(e => e.EmailId == command.EmailId, TestContext.Current.CancellationToken));
            Assert.Empty(fixture.Simulator.Messages);

            await RestoreLaneAsync(channel);
            var row = await fixture.WaitForTerminalAsync(command.EmailId);

            Assert.Equal(EmailStatus.Sent, row.Status);
            Assert.Single(fixture.Simulator.Messages);
            Assert.Equal(0u, await fixture.CountAsync("send-email_error"));
        }
        finally
        {
            await RestoreLaneAsync(channel);
        }
    }

    [Fact]
    public async Task A_malformed_copy_of_an_email_this_worker_is_sending_leaves_it_to_the_good_copy()
    {
        // The good copy's end of DATA is answered 3 s late: it is in flight (DATA begun) when the broken copy arrives.
        fixture.SimulatorOptions.Latency.PerReply[SmtpReply.EndOfData] = ReplyLatency.Parse("3s");
        var command = TestMessages.Email();
        await fixture.PublishRawAsync([command]);
        await fixture.Simulator.WaitForMessagesAsync(1, TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        // The same emailId from a producer that got the rest wrong: "to" is not a list of addresses.
        var broken = $$"""{"emailId":"{{command.EmailId}}","appId":"{{command.AppId}}","from":{"address":"{{command.From!.Address}}"},"to":5,"subject":"x","text":"x"}""";
        await using (var connection = await fixture.ConnectRabbitMqAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), TestContext.Current.CancellationToken))
        {
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, properties, Encoding.UTF8.GetBytes(broken),
                TestContext.Current.CancellationToken);
        }

        var row = await fixture.WaitForTerminalAsync(command.EmailId);

        // Before, the broken copy took this worker's own claim over (a worker may take its own claim again), recorded the
        // email failed with SesWorker.MalformedMessage and an "unknown" attempt, and fenced the good copy's "sent" out.
        Assert.True(row.Status == EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage}");
        Assert.Equal(["sent"], row.AttemptsInOrder().Select(a => a.Outcome));
        Assert.Single(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task An_appId_only_another_replica_is_configured_for_is_sent_by_it_and_one_none_is_fails_at_once()
    {
        // A rolling change of the accounts: worker-b has appId 4000, worker-a (the fixture's) does not yet. Both intakes
        // take from send-email in turn, so about half of 4000's messages reach worker-a first.
        var b = fixture.WorkerConfiguration("worker-b");
        await fixture.StartWorkerAsync("worker-b", new Dictionary<string, string?>
        {
            ["Ses:Accounts:4:AppId"] = "4000",
            ["Ses:Accounts:4:Host"] = b["Ses:Accounts:0:Host"],
            ["Ses:Accounts:4:Port"] = b["Ses:Accounts:0:Port"],
            ["Ses:Accounts:4:Senders:0:Address"] = SesWorkerFixture.Sender,
            ["Ses:Accounts:4:Senders:0:PasswordFile"] = b["Ses:Accounts:0:Senders:0:PasswordFile"],
        });
        var known = Enumerable.Range(0, 20).Select(_ => TestMessages.Email("4000", SesWorkerFixture.Sender)).ToList();
        var unknown = TestMessages.Email("4999", SesWorkerFixture.Sender);

        await fixture.PublishRawAsync([.. known, unknown]);
        var rows = await fixture.WaitForTerminalAsync([.. known.Select(c => c.EmailId), unknown.EmailId], TimeSpan.FromSeconds(60));

        // Before, worker-a failed those it took first as SesWorker.UnknownAccount.
        Assert.All(rows.Where(r => r.EmailId != unknown.EmailId), r => Assert.True(r.Status == EmailStatus.Sent, $"{r.Status} {r.FailureCode} {r.FailureMessage}"));
        Assert.All(rows.Where(r => r.EmailId != unknown.EmailId), r => Assert.True(WorkerIdentity.IsOf(r.WorkerId!, "worker-b"), r.WorkerId));
        var nowhere = rows.Single(r => r.EmailId == unknown.EmailId);
        Assert.Equal(EmailStatus.Failed, nowhere.Status);
        Assert.Equal(ErrorCodes.UnknownAccount, nowhere.FailureCode);
        Assert.Equal(known.Count, fixture.Simulator.Messages.Count);
    }

    private static async Task RestoreLaneAsync(IChannel channel)
    {
        // As MassTransit declares a receive endpoint's exchange: fanout, durable, bound to the queue of the same name.
        await channel.ExchangeDeclareAsync(Lane, ExchangeType.Fanout, durable: true, autoDelete: false);
        await channel.QueueBindAsync(Lane, Lane, string.Empty);
    }
}
