using Microsoft.Extensions.Configuration;
using SesWorker.Cli;
using SesWorker.Cli.Commands.DeadLetters;

namespace SesWorker.Tests.Cli;

public sealed class DeadLetterQueueSelectionTests
{
    /// <summary>What README's alias gives the tool: the connection strings and nothing of the worker's accounts.</summary>
    private static DeadLetterQueues ConnectionStringsOnly() =>
        DeadLetterQueues.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = "amqp://guest:guest@127.0.0.1:1/",
        }).Build());

    private static DeadLetterQueues WithAccounts(params string[] appIds) =>
        DeadLetterQueues.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(
            appIds.Select((appId, i) => KeyValuePair.Create($"Ses:Accounts:{i}:AppId", (string?)appId))).Build());

    [Fact]
    public void A_lane_error_queue_is_selected_by_appId_without_accounts_configured()
    {
        // README's failure table (event 2016) sends operators to lane-error:<appId>; the tool said "unknown queue".
        var selected = ConnectionStringsOnly().Select("lane-error:1000");

        var queue = Assert.Single(selected);
        Assert.Equal("send-email-app-1000_error", queue.Name);
        Assert.Equal("lane-error:1000", queue.Alias);
    }

    [Fact]
    public void A_lane_error_queue_follows_a_renamed_worker_queue()
    {
        var queues = DeadLetterQueues.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Worker:QueueName"] = "mail",
        }).Build());

        Assert.Equal("mail-app-1000_error", Assert.Single(queues.Select("lane-error:1000")).Name);
    }

    [Theory]
    [InlineData("lane-error:")]
    [InlineData("lane-error:abc")]
    [InlineData("lane-error:10 00")]
    [InlineData("lane-error:1000;")]
    public void A_lane_error_queue_of_something_other_than_an_appId_is_refused_with_the_form_expected(string spec)
    {
        var refused = Assert.Throws<CliException>(() => ConnectionStringsOnly().Select(spec));

        Assert.Contains("lane-error:APPID", refused.Message, StringComparison.Ordinal);
        Assert.Contains("digits", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void All_with_no_accounts_configured_says_that_lane_error_queues_were_not_looked_at()
    {
        var queues = ConnectionStringsOnly();

        Assert.DoesNotContain(queues.Select("all"), q => q.Alias.StartsWith("lane-error:", StringComparison.Ordinal));
        Assert.Contains(queues.Notes("all", purging: false), note => note.Contains("lane-error:APPID", StringComparison.Ordinal));
        Assert.Empty(WithAccounts("1000").Notes("all", purging: false));
    }

    [Fact]
    public void All_can_be_given_with_lane_error_queues_beside_it()
    {
        var selected = ConnectionStringsOnly().Select("all,lane-error:1000");

        Assert.Contains(selected, q => q.Alias == "oversize");
        Assert.Contains(selected, q => q.Name == "send-email-app-1000_error");
    }

    [Fact]
    public void A_configured_appIds_lane_error_queue_is_in_all()
    {
        var selected = WithAccounts("1000", "1001").Select("all");

        Assert.Contains(selected, q => q.Name == "send-email-app-1000_error");
        Assert.Contains(selected, q => q.Name == "send-email-app-1001_error");
    }

    [Fact]
    public void Purging_all_leaves_out_the_rate_limited_queue_whose_messages_come_back_by_themselves()
    {
        var queues = WithAccounts("1000");

        var purged = queues.Select("all", purging: true);

        Assert.DoesNotContain(purged, q => q.Alias == "rate-limited");
        Assert.Contains(purged, q => q.Alias == "parked");
        Assert.Contains(purged, q => q.Alias == "oversize");
        Assert.Contains(purged, q => q.Alias == "lane-error:1000");
        Assert.Contains(queues.Select(null, purging: true), q => q.Alias == "oversize");
        Assert.DoesNotContain(queues.Select(null, purging: true), q => q.Alias == "rate-limited");
        Assert.Contains(queues.Notes("all", purging: true), note => note.Contains("rate-limited", StringComparison.Ordinal));
        // Browsing and redriving still see it.
        Assert.Contains(queues.Select("all"), q => q.Alias == "rate-limited");
    }

    [Theory]
    [InlineData("rate-limited")]
    [InlineData("send-email-rate-limited")]
    [InlineData("all,rate-limited")]
    public void Purging_the_rate_limited_queue_by_name_still_selects_it(string spec)
    {
        Assert.Contains(WithAccounts("1000").Select(spec, purging: true), q => q.Alias == "rate-limited");
    }
}
