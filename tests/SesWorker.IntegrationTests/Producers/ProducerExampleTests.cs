using System.Diagnostics;
using System.Text;
using SesWorker.Client;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Producers;

/// <summary>
/// Each README producer example, run as people run it, through the real broker and the real worker to the SMTP
/// simulator: the row says sent, with what the producer wrote, and the provider got the message.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ProducerExampleTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly string RepoRoot = WorkerProcess.RepositoryRoot();

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_python_pika_example_publishes_a_producer_key_a_numeric_app_id_and_plain_addresses()
    {
        var output = await RunAsync("/usr/bin/python3", [Path.Combine(RepoRoot, "examples", "python", "publish.py"), "order-py-1", "py@example.org"]);

        Assert.Contains("published order-py-1", output, StringComparison.Ordinal);
        var row = await SentAsync(SendEmailReader.EmailIdFor(SesWorkerFixture.ExampleAppId, "order-py-1"));
        Assert.Equal("order-py-1", row.ProducerKey);
        Assert.Equal(SesWorkerFixture.ExampleAppId, row.AppId);
        Assert.Equal(("noreply@example.com", "Shop"), (row.FromAddress, row.FromName));
        Assert.Equal(["py@example.org"], row.ToAddresses);
        Assert.Contains("\"orderId\"", row.Metadata, StringComparison.Ordinal);
        var sent = Delivered(row);
        Assert.Equal(["py@example.org"], sent.To.Mailboxes.Select(m => m.Address));
    }

    [Fact]
    public async Task The_node_amqplib_example_publishes_an_html_mail_with_an_attachment()
    {
        var id = Guid.NewGuid();
        var output = await RunAsync("node", [Path.Combine(RepoRoot, "examples", "node", "publish.js"), id.ToString(), "node@example.org"]);

        Assert.Contains($"published {id}", output, StringComparison.Ordinal);
        var row = await SentAsync(id);
        Assert.Equal("Shop", row.FromName);
        Assert.Equal(1, row.AttachmentCount);
        var sent = Delivered(row);
        Assert.NotNull(sent.HtmlBody);
        var attachment = Assert.IsAssignableFrom<MimeKit.MimePart>(Assert.Single(sent.Attachments));
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal("hello", Encoding.UTF8.GetString(content.ToArray()));
    }

    [Fact]
    public async Task The_curl_example_publishes_through_the_management_api()
    {
        var id = Guid.NewGuid();
        var output = await RunAsync("bash", [Path.Combine(RepoRoot, "examples", "curl", "publish.sh"), id.ToString(), "curl@example.org"]);

        Assert.Contains("\"routed\":true", output, StringComparison.Ordinal);
        var row = await SentAsync(id);
        Assert.Equal("noreply@example.com", row.FromAddress);
        Assert.Equal(["curl@example.org"], row.ToAddresses);
        Assert.Equal("Your order", Delivered(row).Subject);
    }

    [Fact]
    public async Task The_dotnet_client_example_publishes_a_checked_message_with_an_attachment_from_a_stream()
    {
        using var invoice = new MemoryStream("%PDF-1.4 test"u8.ToArray());

        var result = await ClientExample.PublishAsync(fixture.RabbitMqUri, "order-net-7", "net@example.org", invoice);

        Assert.True(result.Published, result.Reason);
        Assert.Equal(SendEmailReader.EmailIdFor(SesWorkerFixture.ExampleAppId, "order-net-7"), result.EmailId);
        var row = await SentAsync(result.EmailId);
        Assert.Equal("order-net-7", row.ProducerKey);
        var attachment = Assert.IsAssignableFrom<MimeKit.MimePart>(Assert.Single(Delivered(row).Attachments));
        using var content = new MemoryStream();
        attachment.Content!.DecodeTo(content);
        Assert.Equal("%PDF-1.4 test", Encoding.UTF8.GetString(content.ToArray()));
    }

    [Fact]
    public async Task The_client_refuses_what_the_worker_would_refuse_and_publishes_nothing()
    {
        await fixture.StopWorkerAsync(fixture.Worker);
        await using var publisher = await SesWorkerPublisher.ConnectAsync(fixture.RabbitMqUri);
        var noSubject = TestMessages.Email() with { Subject = null };
        var tooMany = TestMessages.Email() with { To = [.. Enumerable.Range(0, 51).Select(i => new EmailAddress { Address = $"r{i}@example.org" })] };

        var first = await publisher.PublishAsync(noSubject);
        var second = await publisher.PublishAsync(tooMany);

        Assert.False(first.Published);
        Assert.Equal(ErrorCodes.MissingParameter, first.Code);
        Assert.False(second.Published);
        Assert.Equal(ErrorCodes.TooManyRecipients, second.Code);
        Assert.Equal(0u, await fixture.CountAsync(SesWorkerFixture.QueueName));
    }

    private async Task<SesWorker.Persistence.History.EmailMessage> SentAsync(Guid emailId)
    {
        var row = await fixture.WaitForTerminalAsync(emailId);
        Assert.True(row.Status == SesWorker.Persistence.History.EmailStatus.Sent, $"{row.Status} {row.FailureCode} {row.FailureMessage}");
        return row;
    }

    /// <summary>The message as the provider (the simulator) received it.</summary>
    private MimeKit.MimeMessage Delivered(SesWorker.Persistence.History.EmailMessage row)
    {
        var received = fixture.Simulator.Messages
            .Select(m => MimeKit.MimeMessage.Load(new MemoryStream(m.Data)))
            .Where(m => m.MessageId == row.MessageId?.Trim('<', '>'))
            .ToList();
        return Assert.Single(received);
    }

    private async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoRoot,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["SESWORKER_AMQP"] = fixture.RabbitMqUri;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{program} exited {process.ExitCode}: {await error} {await output}");
        return await output;
    }
}
