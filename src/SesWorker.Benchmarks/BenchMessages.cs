using System.Globalization;
using SesWorker.Contracts;

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
        {
            var account = accounts[i % accounts.Count];
            messages[i] = new SendEmail
            {
                EmailId = Guid.NewGuid(),
                AppId = account.AppId,
                From = new EmailAddress { Address = account.Sender },
                To = [new EmailAddress { Address = string.Create(CultureInfo.InvariantCulture, $"r{i}@{RecipientDomain(runId)}") }],
                Subject = string.Create(CultureInfo.InvariantCulture, $"Benchmark {runId} #{i}"),
                Text = "A benchmark message: one short plain-text part, like most transactional mail.",
                Metadata = metadata,
            };
        }

        return messages;
    }
}
