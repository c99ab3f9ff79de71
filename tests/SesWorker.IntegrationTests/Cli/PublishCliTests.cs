using SesWorker.Contracts.Reading;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Cli;

/// <summary>`publish`: what reaches the worker's queue, and what is refused before it, with the summary printed.</summary>
[Collection(ServiceBackedTests.Name)]
public sealed class PublishCliTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sesworker-publish-{Guid.NewGuid():N}.ndjson");

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        // The messages wait in the queue, where the test reads them.
        await fixture.StopWorkerAsync(fixture.Worker);
    }

    public ValueTask DisposeAsync()
    {
        File.Delete(_file);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task An_ndjson_file_is_published_line_by_line_and_refusals_are_counted_with_their_codes()
    {
        var good = Guid.NewGuid();
        await File.WriteAllLinesAsync(_file,
        [
            $$"""{"emailId":"{{good}}","appId":"1000","from":"noreply@example.com","to":["a@example.org"],"subject":"One","text":"t"}""",
            """{"emailId":"order-7","appId":1000,"from":"Shop <noreply@example.com>","to":"b@example.org","subject":"Two","html":"<p>h</p>"}""",
            "",
            """{"EmailId":"order-8","AppId":"1000","From":{"Address":"noreply@example.com"},"To":[{"Address":"c@example.org"}],"Subject":"Three","Text":"t"}""",
            """{"emailId":"order-9","appId":"1000","from":"noreply@example.com","to":["d@example.org"],"text":"no subject"}""",
            """{"appId":"1000","subject":"no id"}""",
            """{"emailId":"order-10","to":7}""",
        ]);

        var (exitCode, output) = await fixture.RunAsync("publish", "--file", _file);

        Assert.Equal(1, exitCode);
        var lines = output.Lines();
        Assert.Equal("published 3, refused 3 of 6 messages", lines[^1][..lines[^1].IndexOf(" in ", StringComparison.Ordinal)]);
        Assert.Contains(lines, l => l.StartsWith("refused line 5: MissingParameter: Subject is required", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("refused line 6: SesWorker.NoEmailId: The message has no emailId.", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("refused line 7: SesWorker.MalformedMessage: to must be", StringComparison.Ordinal));

        await fixture.WaitForQueueAsync(SesWorkerFixture.QueueName, 3);
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var bodies = (await QueueChecks.ReadQueueAsync(channel, SesWorkerFixture.QueueName, 3, TimeSpan.FromSeconds(10)))
            .Select(r => SendEmailReader.Read(r.Body.ToArray()).Message!).ToList();
        Assert.Equal([good, SendEmailReader.EmailIdFor("1000", "order-7"), SendEmailReader.EmailIdFor("1000", "order-8")], bodies.Select(b => b.EmailId));
        Assert.Equal("order-7", bodies[1].ProducerKey);
        Assert.Equal("Shop", bodies[1].From!.Name);
        Assert.Equal(["a@example.org", "b@example.org", "c@example.org"], bodies.Select(b => b.To!.Single().Address));
    }

    [Fact]
    public async Task One_message_from_options_is_published_with_a_producer_key_or_refused_by_the_rules()
    {
        var (publishedExit, published) = await fixture.RunAsync("publish", "--app-id", "1000", "--from", "Shop <noreply@example.com>",
            "--to", "x@example.org,y@example.org", "--subject", "Hello", "--text", "Hi", "--email-id", "invoice-5");
        var (refusedExit, refused) = await fixture.RunAsync("publish", "--app-id", "1000", "--from", "noreply@example.com",
            "--to", "not-an-address", "--subject", "Hello", "--text", "Hi");

        var id = SendEmailReader.EmailIdFor("1000", "invoice-5");
        Assert.Equal(0, publishedExit);
        Assert.Equal($"published {id} (producer key invoice-5)", published.Lines().Single());
        Assert.Equal(1, refusedExit);
        Assert.Contains("FailedOperation.IncorrectEmail", refused, StringComparison.Ordinal);
        await fixture.WaitForQueueAsync(SesWorkerFixture.QueueName, 1);
        Assert.Equal(1u, await fixture.CountAsync(SesWorkerFixture.QueueName));
        var body = await ReadOneAsync();
        Assert.Equal(["x@example.org", "y@example.org"], body.To!.Select(t => t.Address));
    }

    private async Task<SesWorker.Contracts.SendEmail> ReadOneAsync()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var result = Assert.Single(await QueueChecks.ReadQueueAsync(channel, SesWorkerFixture.QueueName, 1, TimeSpan.FromSeconds(10)));
        return SendEmailReader.Read(result.Body.ToArray()).Message!;
    }
}
