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

    /// <summary>memory: messages with one attachment of <see cref="MemoryAttachmentBytes"/>, published first.</summary>
    public const int MemoryOneAttachment = 60;

    /// <summary>memory: messages with two attachments of <see cref="MemoryPairedAttachmentBytes"/>, published next.</summary>
    public const int MemoryTwoAttachments = 200;

    /// <summary>3.9 MB: legal (under the provider's 4 MB per attachment), and about as large as a legal one gets.</summary>
    public const int MemoryAttachmentBytes = 3_900_000;

    /// <summary>
    /// 3.8 MB: two of them (7.6 MB) are 10.40 MB on the wire, just under the provider's 10 MB per message ("SES SMTP
    /// error codes": keep the total message size below 10 MB); two of 3.9 MB would be 10.67 MB and refused unsent.
    /// </summary>
    public const int MemoryPairedAttachmentBytes = 3_800_000;

    /// <summary>
    /// The memory scenario's backlog: the first <see cref="MemoryOneAttachment"/> with one attachment, the rest with two.
    /// Every message shares the same two base64 strings, so the benchmark itself holds 20 MB, not gigabytes.
    /// </summary>
    public static IReadOnlyList<SendEmail> CreateWithAttachments(IReadOnlyList<BenchAccount> accounts, int backlog, string runId)
    {
        var single = Attachment("single.bin", 1, MemoryAttachmentBytes);
        var first = Attachment("first.bin", 2, MemoryPairedAttachmentBytes);
        var second = Attachment("second.bin", 3, MemoryPairedAttachmentBytes);
        var messages = Create(accounts, backlog, runId);
        return [.. messages.Select((m, i) => m with { Attachments = i < MemoryOneAttachment ? [single] : [first, second] })];

        static EmailAttachment Attachment(string name, int seed, int size)
        {
            var bytes = new byte[size];
            new Random(seed).NextBytes(bytes);
            return new EmailAttachment { FileName = name, ContentType = "application/octet-stream", Content = Convert.ToBase64String(bytes) };
        }
    }

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
