using System.Globalization;
using SesWorker.Contracts;
using SesWorker.SmtpSimulator;

namespace SesWorker.Benchmarks;

/// <summary>
/// The backlog: one unique recipient per message (so the hourly sender-to-recipient cap never binds), appIds
/// interleaved round-robin so every appId has a backlog from the first second, tagged with the run id.
/// </summary>
internal static class BenchMessages
{
    public static string RecipientDomain(string runId) => $"{runId}.bench.example";

    public static IReadOnlyList<SendEmail> Create(IReadOnlyList<BenchAccount> accounts, int backlog, string runId)
    {
        var metadata = new Dictionary<string, string> { ["bench"] = runId };
        var messages = new SendEmail[backlog];
        for (var i = 0; i < backlog; i++)
            messages[i] = Message(accounts[i % accounts.Count], i, runId, metadata);

        return messages;
    }

    /// <summary>The <paramref name="index"/>th message of a batch, built one at a time (the naive sender's).</summary>
    public static SendEmail One(BenchAccount account, int index, string runId) =>
        Message(account, index, runId, new Dictionary<string, string> { ["bench"] = runId });

    /// <summary>The simulator's transactions for the recipients of the batch tagged <paramref name="runId"/>.</summary>
    public static List<SmtpTransaction> Of(string runId, IEnumerable<SmtpTransaction> transactions)
    {
        var domain = "@" + RecipientDomain(runId);
        return transactions.Where(t => t.RcptTo.Count > 0 && t.RcptTo[0].EndsWith(domain, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    private static SendEmail Message(BenchAccount account, int index, string runId, Dictionary<string, string> metadata) => new()
    {
        EmailId = Guid.NewGuid(),
        AppId = account.AppId,
        From = new EmailAddress { Address = account.Sender },
        To = [new EmailAddress { Address = string.Create(CultureInfo.InvariantCulture, $"r{index}@{RecipientDomain(runId)}") }],
        Subject = string.Create(CultureInfo.InvariantCulture, $"Benchmark {runId} #{index}"),
        Text = "A benchmark message: one short plain-text part, like most transactional mail.",
        Metadata = metadata,
    };
}
