using System.Diagnostics;
using System.Text;
using SesWorker.Client;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;
using SesWorker.Core.Sending;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Producers;

/// <summary>
/// Each README producer example, run as people run it, against the real broker: the message must arrive in the
/// worker's queue with the body the worker reads. The worker is stopped first so the message waits there.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class ProducerExampleTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly string RepoRoot = FindRepoRoot();

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        await fixture.StopWorkerAsync(fixture.Worker);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_python_pika_example_publishes_a_producer_key_a_numeric_app_id_and_plain_addresses()
    {
        var output = await RunAsync("/usr/bin/python3", [Path.Combine(RepoRoot, "examples", "python", "publish.py"), "order-py-1", "py@example.org"]);

        Assert.Contains("published order-py-1", output, StringComparison.Ordinal);
        var message = await ReceiveAsync();
        Assert.Equal(SendEmailReader.EmailIdFor("1250000000", "order-py-1"), message.EmailId);
        Assert.Equal("order-py-1", message.ProducerKey);
        Assert.Equal("1250000000", message.AppId);
        Assert.Equal(new EmailAddress { Address = "noreply@example.com", Name = "Shop" }, message.From);
        Assert.Equal("py@example.org", Assert.Single(message.To!).Address);
        Assert.Equal("42", message.Metadata!["orderId"]);
    }

    [Fact]
    public async Task The_node_amqplib_example_publishes_an_html_mail_with_an_attachment()
    {
        var id = Guid.NewGuid();
        var output = await RunAsync("node", [Path.Combine(RepoRoot, "examples", "node", "publish.js"), id.ToString(), "node@example.org"]);

        Assert.Contains($"published {id}", output, StringComparison.Ordinal);
        var message = await ReceiveAsync();
        Assert.Equal(id, message.EmailId);
        Assert.Equal("Shop", message.From!.Name);
        Assert.Equal("node@example.org", Assert.Single(message.To!).Address);
        Assert.Equal("hello", Encoding.UTF8.GetString(Convert.FromBase64String(Assert.Single(message.Attachments!).Content)));
        Assert.Null(SendEmailMessages.Check(message));
    }

    [Fact]
    public async Task The_curl_example_publishes_through_the_management_api()
    {
        var id = Guid.NewGuid();
        var output = await RunAsync("bash", [Path.Combine(RepoRoot, "examples", "curl", "publish.sh"), id.ToString(), "curl@example.org"]);

        Assert.Contains("\"routed\":true", output, StringComparison.Ordinal);
        var message = await ReceiveAsync();
        Assert.Equal(id, message.EmailId);
        Assert.Equal("noreply@example.com", message.From!.Address);
        Assert.Equal("curl@example.org", Assert.Single(message.To!).Address);
        Assert.Null(SendEmailMessages.Check(message));
    }

    [Fact]
    public async Task The_dotnet_client_example_publishes_a_checked_message_with_an_attachment_from_a_stream()
    {
        using var invoice = new MemoryStream("%PDF-1.4 test"u8.ToArray());

        var result = await ClientExample.PublishAsync(fixture.RabbitMqUri, "order-net-7", "net@example.org", invoice);

        Assert.True(result.Published, result.Reason);
        var message = await ReceiveAsync();
        Assert.Equal(SendEmailReader.EmailIdFor("1250000000", "order-net-7"), message.EmailId);
        Assert.Equal(result.EmailId, message.EmailId);
        Assert.Equal("order-net-7", message.ProducerKey);
        Assert.Equal("%PDF-1.4 test", Encoding.UTF8.GetString(Convert.FromBase64String(Assert.Single(message.Attachments!).Content)));
    }

    [Fact]
    public async Task The_client_refuses_what_the_worker_would_refuse_and_publishes_nothing()
    {
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

    private async Task<SendEmail> ReceiveAsync()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync();
        var received = Assert.Single(await QueueChecks.ReadQueueAsync(channel, SesWorkerFixture.QueueName, 1, TimeSpan.FromSeconds(10)));
        var read = SendEmailReader.Read(received.Body.ToArray());
        Assert.True(read.IsReadable, read.ToString());
        return read.Message;
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

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SesWorker.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("SesWorker.sln not found above the test assembly.");
    }
}
