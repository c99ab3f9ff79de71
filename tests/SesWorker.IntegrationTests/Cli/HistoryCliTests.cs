using System.Text.Json;
using SesWorker.Contracts.Reading;
using SesWorker.IntegrationTests.Infrastructure;

namespace SesWorker.IntegrationTests.Cli;

/// <summary>`history`, `show` and `stats` against rows put straight into the database: what they print, not only that they ran.</summary>
[Collection(ServiceBackedTests.Name)]
public sealed class HistoryCliTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await fixture.ResetAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task History_prints_newest_first_one_line_each_cut_to_the_width()
    {
        var bulk = HistoryRows.Email("1000", "first@example.org", new string('S', 999), "sent", TimeSpan.FromMinutes(1)) with
        {
            To = [.. Enumerable.Range(0, 51).Select(i => $"r{i}@example.org")],
        };
        var failed = HistoryRows.Email("2000", "x@example.org", "Refused one", "failed", TimeSpan.FromMinutes(5)) with
        {
            FailureCode = "FailedOperation.EmailAddrInBlacklist",
        };
        var older = HistoryRows.Email("1000", "y@example.org", "Older", "sent", TimeSpan.FromHours(3));
        await fixture.InsertAsync(bulk, failed, older);

        var (exitCode, output) = await fixture.RunAsync("history", "--width", "160");

        Assert.Equal(0, exitCode);
        var lines = output.Lines();
        Assert.StartsWith("created (UTC)", lines[0], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= 160, $"{l.Length} characters: {l}"));
        Assert.Contains(bulk.EmailId.ToString(), lines[1], StringComparison.Ordinal);
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(lines[1], @" r0@\S* \+50 "), lines[1]);
        Assert.Contains("SSS…", lines[1], StringComparison.Ordinal);
        Assert.Contains(failed.EmailId.ToString(), lines[2], StringComparison.Ordinal);
        Assert.Contains("FailedOperation.EmailAddrInBl", lines[2], StringComparison.Ordinal);
        Assert.Contains(" 2000 ", lines[2], StringComparison.Ordinal);
        Assert.Contains(older.EmailId.ToString(), lines[3], StringComparison.Ordinal);
        Assert.Equal("rows 1-3 (last page)", lines[4]);
    }

    [Fact]
    public async Task History_filters_by_recipient_sender_status_code_app_and_time()
    {
        var toAlice = HistoryRows.Email("1000", "alice@example.org", "For Alice", "sent", TimeSpan.FromMinutes(2)) with { To = ["bob@example.org", "alice@example.org"] };
        var oldAlice = HistoryRows.Email("1000", "alice@example.org", "Old for Alice", "sent", TimeSpan.FromDays(3));
        var failed = HistoryRows.Email("2000", "carol@example.org", "Bounced", "failed", TimeSpan.FromMinutes(3), from: "alerts@example.net") with { FailureCode = "FailedOperation.IncorrectEmail" };
        var otherCode = HistoryRows.Email("2000", "dave@example.org", "Unsubscribed", "failed", TimeSpan.FromMinutes(4)) with { FailureCode = "FailedOperation.ReceiverHasUnsubscribed" };
        await fixture.InsertAsync(toAlice, oldAlice, failed, otherCode);

        Assert.Equal([toAlice.EmailId, oldAlice.EmailId], await IdsAsync("--recipient", "alice@example.org"));
        Assert.Equal([toAlice.EmailId], await IdsAsync("--recipient", "alice@example.org", "--since", "1d"));
        Assert.Equal([oldAlice.EmailId], await IdsAsync("--to", "alice@example.org", "--until", "1d"));
        Assert.Equal([failed.EmailId], await IdsAsync("--sender", "alerts@example.net"));
        Assert.Equal([failed.EmailId, otherCode.EmailId], await IdsAsync("--status", "failed", "--app-id", "2000"));
        Assert.Equal([otherCode.EmailId], await IdsAsync("--code", "FailedOperation.ReceiverHasUnsubscribed"));
        Assert.Empty(await IdsAsync("--app-id", "3000"));
    }

    [Fact]
    public async Task History_json_carries_every_field_uncut_and_pages_go_on()
    {
        var rows = Enumerable.Range(0, 5)
            .Select(i => HistoryRows.Email("1000", $"p{i}@example.org", $"Page row {i}", "sent", TimeSpan.FromMinutes(i + 1)))
            .ToArray();
        var wide = HistoryRows.Email("1000", "wide@example.org", new string('W', 999), "sent", TimeSpan.FromSeconds(10)) with
        {
            To = [.. Enumerable.Range(0, 51).Select(i => $"w{i}@example.org")],
        };
        await fixture.InsertAsync([wide, .. rows]);

        var (_, json) = await fixture.RunAsync("history", "--json", "--limit", "1");
        var only = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal(999, only.GetProperty("subject").GetString()!.Length);
        Assert.Equal(51, only.GetProperty("to").GetArrayLength());
        Assert.Equal("sent", only.GetProperty("status").GetString());

        var (_, page2) = await fixture.RunAsync("history", "--limit", "2", "--page", "2");
        var lines = page2.Lines();
        Assert.Contains(rows[1].EmailId.ToString(), lines[1], StringComparison.Ordinal);
        Assert.Contains(rows[2].EmailId.ToString(), lines[2], StringComparison.Ordinal);
        Assert.Equal("rows 3-4; next page: --page 3", lines[3]);
    }

    [Fact]
    public async Task Show_finds_an_email_by_its_producer_key_and_lists_its_attempts()
    {
        var id = SendEmailReader.EmailIdFor("1000", "order-42");
        var row = new HistoryRows.Row(id, "1000", "noreply@example.com", ["buyer@example.org"], "Order 42", "sent", DateTimeOffset.UtcNow.AddMinutes(-1))
        {
            ProducerKey = "order-42",
            Attempts = 2,
        };
        await fixture.InsertAsync(row);
        await fixture.InsertAttemptAsync(id, 1, "transient", 451, "InternalError", "try again");
        await fixture.InsertAttemptAsync(id, 2, "sent", 250, null, null);

        var (byKey, shown) = await fixture.RunAsync("show", "order-42", "--app-id", "1000");
        var (byId, same) = await fixture.RunAsync("show", id.ToString());
        var (missing, none) = await fixture.RunAsync("show", "order-43", "--app-id", "1000");

        Assert.Equal(0, byKey);
        Assert.Equal(shown, same);
        Assert.Equal(0, byId);
        Assert.Contains($"email      {id}  (producer key order-42)", shown, StringComparison.Ordinal);
        Assert.Contains("status     sent  attempts 2", shown, StringComparison.Ordinal);
        Assert.Contains("to         buyer@example.org", shown, StringComparison.Ordinal);
        var attempts = shown.Lines().Where(l => l.StartsWith("attempt ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Contains("transient", attempts[0], StringComparison.Ordinal);
        Assert.Contains("451  InternalError", attempts[0], StringComparison.Ordinal);
        Assert.Contains("try again", attempts[0], StringComparison.Ordinal);
        Assert.Contains("250", attempts[1], StringComparison.Ordinal);
        Assert.Equal(1, missing);
        Assert.Contains("no email order-43", none, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_counts_per_app_status_and_code_and_sends_per_second()
    {
        await fixture.InsertAsync(
            HistoryRows.Email("1000", "a@example.org", "s", "sent", TimeSpan.FromMinutes(1)),
            HistoryRows.Email("1000", "b@example.org", "s", "sent", TimeSpan.FromMinutes(2)),
            HistoryRows.Email("1000", "c@example.org", "s", "sent", TimeSpan.FromMinutes(3)),
            HistoryRows.Email("1000", "d@example.org", "s", "failed", TimeSpan.FromMinutes(4)) with { FailureCode = "FailedOperation.IncorrectEmail" },
            HistoryRows.Email("2000", "e@example.org", "s", "sent", TimeSpan.FromMinutes(5)),
            HistoryRows.Email("2000", "f@example.org", "s", "sent", TimeSpan.FromHours(5)));

        var (exitCode, output) = await fixture.RunAsync("stats", "--since", "10m");

        Assert.Equal(0, exitCode);
        var lines = output.Lines();
        // 3 sends in a 600 s window: 0.005 per second, printed with two decimals.
        Assert.Contains(lines, l => Normalize(l) == "1000 4 3 0.01");
        Assert.Contains(lines, l => Normalize(l) == "2000 1 1 0.00");
        Assert.Contains(lines, l => Normalize(l) == "1000 sent 3 -");
        Assert.Contains(lines, l => Normalize(l) == "1000 failed 1 FailedOperation.IncorrectEmail");
        Assert.Contains(lines, l => Normalize(l) == "2000 sent 1 -");
    }

    private static string Normalize(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private async Task<List<Guid>> IdsAsync(params string[] filters)
    {
        var (exitCode, json) = await fixture.RunAsync(["history", "--json", .. filters]);
        Assert.Equal(0, exitCode);
        return JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetProperty("emailId").GetGuid()).ToList();
    }
}
