using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Cli;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;

namespace SesWorker.IntegrationTests.DeadLettering;

/// <summary>The operator's `sesworker dlq` commands, run in-process against messages the real worker dead-lettered.</summary>
[Collection(ServiceBackedTests.Name)]
public sealed class DeadLetterCliTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private const string OversizeQueue = "send-email-oversize";
    private const string ErrorQueue = "send-email_error";

    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task List_shows_an_oversize_message_with_its_code_and_leaves_it_in_the_queue()
    {
        var command = WithOversizeAttachment(TestMessages.Email());
        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(EmailStatus.DeadLettered, row.Status);
        await fixture.WaitForQueueAsync(OversizeQueue, 1);

        var (exitCode, output) = await DlqAsync("list");

        Assert.Equal(0, exitCode);
        var line = Assert.Single(output.Split('\n'), l => l.Contains(command.EmailId.ToString(), StringComparison.Ordinal));
        Assert.StartsWith("oversize", line, StringComparison.Ordinal);
        Assert.Contains("FailedOperation.AttachContentToolarge", line, StringComparison.Ordinal);
        Assert.Contains(SesWorkerFixture.AppId, line, StringComparison.Ordinal);
        Assert.Contains(command.Subject![..20], line, StringComparison.Ordinal);
        Assert.Equal(1u, await fixture.CountAsync(OversizeQueue));

        var (showExit, shown) = await DlqAsync("show", command.EmailId.ToString(), "--queue", "oversize");

        Assert.Equal(0, showExit);
        Assert.Contains("sesworker-code: FailedOperation.AttachContentToolarge", shown, StringComparison.Ordinal);
        Assert.Contains("sesworker-reason: oversize", shown, StringComparison.Ordinal);
        Assert.Contains($"\"emailId\": \"{command.EmailId}\"", shown, StringComparison.Ordinal);
        Assert.Contains("--full shows all", shown, StringComparison.Ordinal);
        Assert.True(shown.Length < 20_000, $"show printed {shown.Length} characters of a 5 MB attachment");
        Assert.Equal(1u, await fixture.CountAsync(OversizeQueue));
    }

    [Fact]
    public async Task Redriven_oversize_message_that_was_fixed_is_sent()
    {
        var strict = await ReplaceWorkerAsync(fixture.Worker, "worker-strict", new Dictionary<string, string?> { ["Ses:Limits:MaxBodyBytes"] = "100" });
        var command = TestMessages.Email() with { Text = new string('x', 200), Html = null };
        await fixture.PublishAsync(command);
        var row = await fixture.WaitForTerminalAsync(command.EmailId);
        Assert.Equal(EmailStatus.DeadLettered, row.Status);
        Assert.Equal("FailedOperation.EmailContentToolarge", row.FailureCode);
        await fixture.WaitForQueueAsync(OversizeQueue, 1);

        // The limit is fixed: a normally configured worker takes over.
        await ReplaceWorkerAsync(strict, "worker-a");
        var (exitCode, output) = await DlqAsync("redrive", "--queue", "oversize", "--email-id", command.EmailId.ToString());

        Assert.Equal(0, exitCode);
        Assert.Contains("redriven 1, skipped 0, failed 0", output, StringComparison.Ordinal);
        var sent = await fixture.WaitForStatusAsync(command.EmailId, EmailStatus.Sent);
        Assert.NotNull(sent.SentAt);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Single(fixture.Simulator.Messages);
        Assert.Equal(0u, await fixture.CountAsync(OversizeQueue));
    }

    [Fact]
    public async Task Purge_removes_only_the_matching_messages()
    {
        var first = WithOversizeBody(TestMessages.Email());
        var second = WithOversizeBody(TestMessages.Email());
        var attachment = WithOversizeAttachment(TestMessages.Email());
        foreach (var command in new[] { first, second, attachment })
            await fixture.PublishAsync(command);
        await fixture.WaitForTerminalAsync([first.EmailId, second.EmailId, attachment.EmailId], TimeSpan.FromSeconds(30));
        await fixture.WaitForQueueAsync(OversizeQueue, 3);

        var (byIdExit, byId) = await DlqAsync("purge", "--email-id", first.EmailId.ToString(), "--yes");
        var (byCodeExit, byCode) = await DlqAsync("purge", "--queue", "oversize", "--code", "FailedOperation.AttachContentToolarge", "--yes");

        Assert.Equal(0, byIdExit);
        Assert.Contains("purged 1, skipped 2", byId, StringComparison.Ordinal);
        Assert.Equal(0, byCodeExit);
        Assert.Contains("purged 1, skipped 1", byCode, StringComparison.Ordinal);
        var (_, remaining) = await DlqAsync("list", "--queue", "oversize");
        Assert.Contains(second.EmailId.ToString(), remaining, StringComparison.Ordinal);
        Assert.DoesNotContain(first.EmailId.ToString(), remaining, StringComparison.Ordinal);
        Assert.DoesNotContain(attachment.EmailId.ToString(), remaining, StringComparison.Ordinal);
        Assert.Equal(1u, await fixture.CountAsync(OversizeQueue));
    }

    [Fact]
    public async Task Redrive_and_purge_refuse_to_run_without_a_filter_or_confirmation()
    {
        var command = WithOversizeBody(TestMessages.Email());
        await fixture.PublishAsync(command);
        await fixture.WaitForTerminalAsync(command.EmailId);
        await fixture.WaitForQueueAsync(OversizeQueue, 1);

        var (redriveExit, redrive) = await DlqAsync("redrive", "--queue", "oversize");
        var (purgeExit, purge) = await DlqAsync("purge", "--all");

        Assert.Equal(2, redriveExit);
        Assert.Equal(2, purgeExit);
        Assert.Contains("--all", redrive, StringComparison.Ordinal);
        Assert.Contains("--yes", purge, StringComparison.Ordinal);
        Assert.Equal(1u, await fixture.CountAsync(OversizeQueue));
    }

    [Fact]
    public async Task Garbage_in_the_error_queue_is_listed_and_redriven_without_harm()
    {
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var json = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, json, Encoding.UTF8.GetBytes("{ this is not json"));
        await channel.BasicPublishAsync(SesWorkerFixture.QueueName, string.Empty, true, new BasicProperties(), new byte[] { 0xff, 0xfe, 0x00, 0x80 });
        await fixture.WaitForQueueAsync(ErrorQueue, 2);

        var (listExit, list) = await DlqAsync("list", "--queue", "error");
        var (dryExit, dry) = await DlqAsync("redrive", "--queue", "error", "--all", "--dry-run");

        Assert.Equal(0, listExit);
        Assert.Contains("listed 2 of 2 examined", list, StringComparison.Ordinal);
        Assert.Equal(2, list.Split('\n').Count(l => l.StartsWith("error", StringComparison.Ordinal)));
        Assert.Equal(0, dryExit);
        Assert.Contains("would redrive 2, skipped 0", dry, StringComparison.Ordinal);
        Assert.Equal(2u, await fixture.CountAsync(ErrorQueue));

        var (redriveExit, redriven) = await DlqAsync("redrive", "--queue", "error", "--all");

        // Still garbage: the worker faults them again, and they are back where they were.
        Assert.Equal(0, redriveExit);
        Assert.Contains("redriven 2, skipped 0, failed 0", redriven, StringComparison.Ordinal);
        var faults = await QueueChecks.ReadQueueAsync(channel, ErrorQueue, 2, TimeSpan.FromSeconds(20));
        Assert.Equal(2, faults.Count);
        Assert.All(faults, f => Assert.True(f.BasicProperties.Headers?.ContainsKey("sesworker-redriven"), "sesworker-redriven header"));
        Assert.Empty(fixture.Simulator.Messages);
    }

    [Fact]
    public async Task A_lanes_fault_queue_is_listed_by_its_alias_with_the_workers_accounts_and_by_its_name_without()
    {
        // A body with no readable emailId published to a lane directly (as an older worker forwarded): the lane's consumer
        // refuses it, and MassTransit moves it to the lane's own fault queue, which `dlq list` did not know.
        var lane = $"{SesWorkerFixture.QueueName}-app-{SesWorkerFixture.AppId}";
        await using var connection = await fixture.ConnectRabbitMqAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var json = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(lane, string.Empty, true, json, Encoding.UTF8.GetBytes("{ this is not json"));
        await fixture.WaitForQueueAsync($"{lane}_error", 1);

        var accounts = new Dictionary<string, string?> { ["Ses:Accounts:0:AppId"] = SesWorkerFixture.AppId };
        var (allExit, all) = await fixture.RunAsync(accounts, "dlq", "list");
        var (aliasExit, alias) = await fixture.RunAsync(accounts, "dlq", "list", "--queue", $"lane-error:{SesWorkerFixture.AppId}");
        var (nameExit, byName) = await DlqAsync("list", "--queue", $"{lane}_error");

        Assert.Equal(0, allExit);
        Assert.Equal(0, aliasExit);
        Assert.Equal(0, nameExit);
        Assert.Contains("listed 1 of 1 examined", alias, StringComparison.Ordinal);
        Assert.Contains("listed 1 of 1 examined", byName, StringComparison.Ordinal);
        Assert.Contains($"lane-error:{SesWorkerFixture.AppId}", all, StringComparison.Ordinal);
        Assert.Equal(1u, await fixture.CountAsync($"{lane}_error"));
    }

    private static SendEmail WithOversizeAttachment(SendEmail command) => command with
    {
        Attachments = [new EmailAttachment { FileName = "scan.bin", ContentType = "application/octet-stream", Content = Convert.ToBase64String(new byte[4 * 1024 * 1024 + 1]) }],
    };

    private static SendEmail WithOversizeBody(SendEmail command) => command with { Text = new string('x', 1024 * 1024 + 1), Html = null };

    private async Task<IHost> ReplaceWorkerAsync(IHost worker, string workerId, IDictionary<string, string?>? overrides = null)
    {
        await fixture.StopWorkerAsync(worker);
        return await fixture.StartWorkerAsync(workerId, overrides);
    }

    private Task<(int ExitCode, string Output)> DlqAsync(params string[] args) => fixture.RunAsync(["dlq", .. args]);
}
