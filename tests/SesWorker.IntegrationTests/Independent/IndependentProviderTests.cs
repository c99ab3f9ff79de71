using System.Security.Cryptography;
using System.Text;
using SesWorker.Contracts;
using SesWorker.IntegrationTests.Infrastructure;
using SesWorker.Persistence.History;
using SesWorker.SmtpSimulator.Counting;

namespace SesWorker.IntegrationTests.Independent;

/// <summary>
/// Two problems were first found with a worker sending to an SMTPS server that was not the project's simulator: one
/// appId sent 2.8/s to a provider 100 ms away, and 60 messages with 3.9 MB attachments took a worker to 1,790 MB RSS.
/// These tests do the same: a worker process sends to <see cref="IndependentProvider"/> (aiosmtpd, Python's ssl and
/// email), which counts the calls on its own clock and whose parser reads every message. The simulator and the worker
/// share a language and a MIME library; a mistake they made together would pass every other test.
/// </summary>
[Collection(ServiceBackedTests.Name)]
public sealed class IndependentProviderTests(SesWorkerFixture fixture) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Accounts = new(StringComparer.Ordinal)
    {
        [SesWorkerFixture.Sender] = "sender-password",
        [SesWorkerFixture.SecondSender] = "second-password",
    };

    private readonly List<WorkerProcess> _workers = [];
    private IndependentProvider? _provider;

    private IndependentProvider Provider => _provider!;

    public async ValueTask InitializeAsync()
    {
        await fixture.ResetAsync();
        await fixture.StopWorkersAsync();
        _provider = await IndependentProvider.StartAsync(fixture.WorkDirectory, Accounts, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
            await worker.DisposeAsync();
        if (_provider is not null)
            await _provider.DisposeAsync();
    }

    [Fact]
    public async Task A_provider_sharing_no_code_with_the_worker_100ms_away_gets_its_rate_and_never_more_than_twenty()
    {
        // As the slow rate was first found: one worker, one appId, each reply 100 ms (here +-30 ms) away. It made 2.8
        // sends/s then.
        await StartWorkerAsync("independent-a");
        // The worker's first seconds (the JIT, the first TLS connections) are not what is measured.
        var warmUp = Enumerable.Range(0, 120).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(warmUp);
        await Provider.WaitForTransactionsAsync(SesWorkerFixture.Sender, warmUp.Count, TimeSpan.FromSeconds(30));
        var measuredFrom = DateTimeOffset.UtcNow;
        var commands = Enumerable.Range(0, 300).Select(_ => TestMessages.Email()).ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        var transactions = Provider.Transactions().Where(t => t.User == SesWorkerFixture.Sender).ToList();
        DateTimeOffset[] mailFroms = [.. transactions.Select(t => t.MailFrom).Order()];
        DateTimeOffset[] endsOfData = [.. transactions.Select(t => t.EndOfData).Order()];
        var rate = ProviderCounts.SustainedRate([.. endsOfData.Where(t => t >= measuredFrom)]);
        var atMailFrom = ProviderCounts.MaxInAnyWindow(mailFroms, TimeSpan.FromSeconds(1));
        var atEndOfData = ProviderCounts.MaxInAnyWindow(endsOfData, TimeSpan.FromSeconds(1));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"the independent provider accepted {transactions.Count}: sustained {rate:F2}/s after the warm-up; at most {atMailFrom} MAIL FROMs and {atEndOfData} ends of DATA in any second; " +
            $"the tightest 21 MAIL FROMs {ProviderCounts.TightestSpan(mailFroms, 21)?.TotalMilliseconds:F0} ms, ends of DATA {ProviderCounts.TightestSpan(endsOfData, 21)?.TotalMilliseconds:F0} ms");
        // Each email once: the worker's history and the provider's own count agree.
        Assert.Equal(warmUp.Count + commands.Count, transactions.Count);
        // The target of at least 19 sends/s, with the room the simulator's test keeps for a busy CI machine
        // (RealConditionsTests).
        Assert.True(rate >= 18, $"sustained {rate:F2}/s at the independent provider");
        Assert.True(atMailFrom <= 20, $"{atMailFrom} MAIL FROMs in one second at the independent provider");
        Assert.True(atEndOfData <= 20, $"{atEndOfData} ends of DATA in one second at the independent provider");
    }

    [Fact]
    public async Task A_burst_of_attachments_near_the_limits_stays_within_a_512_MiB_container_and_arrives_intact()
    {
        // As the memory problem was first found: 60 messages with a 3.9 MB attachment each, published as plain JSON to
        // one worker, took its RSS from 71 MB to 1,790 MB. Here the worker runs at its defaults (the intake's
        // concurrency from its byte budget, the budget from the memory limit) under the garbage collector's limit .NET
        // sets in a 512 MiB container.
        var worker = await StartWorkerAsync("independent-a", new Dictionary<string, string?>
        {
            ["Worker:ConcurrentMessageLimit"] = null,
            ["DOTNET_GCHeapHardLimit"] = "0x18000000",
        });
        var commands = Enumerable.Range(0, 40).Select(i =>
        {
            var (appId, sender) = i % 2 == 0 ? (SesWorkerFixture.AppId, SesWorkerFixture.Sender) : (SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender);
            return TestMessages.Email(appId, sender) with { Attachments = [Attachment($"scan-{i}.pdf", "application/pdf", 3_900_000 - i)] };
        }).ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(120));
        var peak = worker.PeakRssBytes / (1024.0 * 1024);

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        var parsed = await ParsedByMessageIdAsync();
        foreach (var command in commands)
            AssertReadsAsPublished(command, MessageOf(parsed, command));
        TestContext.Current.TestOutputHelper?.WriteLine($"{commands.Count} messages of 3.9 MB: the worker's peak RSS {peak:F0} MiB");
        // The target for large attachments: peak RSS at most 256 MiB (the memory benchmark measures it over 260 such
        // messages).
        Assert.True(peak <= 256, $"the worker's RSS peaked at {peak:F0} MiB");
    }

    [Fact]
    public async Task A_parser_sharing_no_code_with_the_worker_reads_every_message_as_it_was_published()
    {
        await StartWorkerAsync("independent-a");
        var commands = Variety().ToList();
        await fixture.PublishRawAsync(commands);

        var rows = await fixture.WaitForTerminalAsync(commands.Select(c => c.EmailId).ToList(), TimeSpan.FromSeconds(60));

        Assert.All(rows, r => Assert.True(r.Status == EmailStatus.Sent, $"{r.EmailId} {r.Status} {r.FailureCode} {r.FailureMessage}"));
        var parsed = await ParsedByMessageIdAsync();
        Assert.Equal(commands.Count, parsed.Count);
        foreach (var command in commands)
            AssertReadsAsPublished(command, MessageOf(parsed, command));
    }

    /// <summary>What the independent provider kept, as Python read it, by Message-ID.</summary>
    private async Task<Dictionary<string, ParsedMessage>> ParsedByMessageIdAsync() =>
        (await Provider.InspectAsync()).ToDictionary(m => m.MessageId.Trim('<', '>'), StringComparer.Ordinal);

    /// <summary>The kept message of one email: the worker's Message-ID is the emailId at the sender's domain.</summary>
    private static ParsedMessage MessageOf(Dictionary<string, ParsedMessage> parsed, SendEmail command)
    {
        var id = $"{command.EmailId:N}@{command.From!.Address.Split('@')[1]}";
        Assert.True(parsed.TryGetValue(id, out var message), $"no message {id} at the independent provider");
        return message;
    }

    /// <summary>What Python's parser made of one message, against what the producer published.</summary>
    private static void AssertReadsAsPublished(SendEmail command, ParsedMessage message)
    {
        var context = $"{message.File} ({command.Subject})";
        Assert.True(message.Defects.Count == 0, $"{context}: {string.Join(", ", message.Defects)}");
        Assert.True(message.RuleViolations.Count == 0, $"{context} breaks the provider's header rules: {string.Join(", ", message.RuleViolations)}");
        Assert.True(message.BareLineFeeds == 0, $"{context}: {message.BareLineFeeds} bare line feeds");
        // RFC 5322's 998 (the provider refuses 2,000 or more).
        Assert.True(message.LongestLine <= 998, $"{context}: a line of {message.LongestLine} characters");
        Assert.Equal("1.0", message.MimeVersion);
        Assert.False(string.IsNullOrEmpty(message.Date), context);
        Assert.Equal(command.Subject, message.Subject);
        var from = Assert.Single(message.From);
        Assert.Equal(command.From!.Address, from.Address);
        Assert.Equal(command.From.Name ?? string.Empty, from.Name);
        Assert.Equal(command.To!.Select(a => a.Address), message.To);
        Assert.Equal(command.ReplyTo is null ? [] : [command.ReplyTo.Address], message.ReplyTo);
        Assert.Equal(Lines(command.Text), Lines(message.Text));
        Assert.Equal(Lines(command.Html), Lines(message.Html));
        var published = command.Attachments ?? [];
        Assert.Equal(published.Count, message.Attachments.Count);
        foreach (var (sent, read) in published.Zip(message.Attachments))
        {
            var bytes = Convert.FromBase64String(sent.Content);
            Assert.Equal(sent.FileName, read.FileName);
            Assert.Equal(sent.ContentType ?? "application/octet-stream", read.ContentType);
            Assert.Equal("attachment", read.Disposition);
            Assert.Equal(bytes.Length, read.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), read.Sha256);
        }
    }

    /// <summary>A body's lines, whatever the line ends (the wire's are CRLF), without the last line end.</summary>
    private static string? Lines(string? text) => text?.ReplaceLineEndings("\n").TrimEnd('\n');

    /// <summary>What producers send: scripts and emoji, long lines and subjects, names that need quoting, attachments of every size class.</summary>
    private static IEnumerable<SendEmail> Variety()
    {
        SendEmail Email(string subject) => TestMessages.Email(SesWorkerFixture.SecondAppId, SesWorkerFixture.SecondSender, subject: subject);

        yield return Email("您的订单已发货 – 订单号 20261128") with { Html = null, Text = "您好，\n您的订单已发货。\n谢谢！" };
        yield return Email("Statusbericht 📦 ✓") with { Text = null, Html = "<p>Grüße 👋 <b>und</b> ✓</p>" };
        yield return Email("Plain ASCII subject") with
        {
            From = new EmailAddress { Address = SesWorkerFixture.SecondSender, Name = "Doe, John \"JD\"" },
            ReplyTo = new EmailAddress { Address = "support@example.net" },
            To = [new EmailAddress { Address = "a@example.org" }, new EmailAddress { Address = "b@example.org", Name = "Bé" }, new EmailAddress { Address = "c@example.org" }],
        };
        // A subject far beyond one header line (folded) and a body line far beyond the provider's 2,000 characters.
        yield return Email(string.Concat(Enumerable.Repeat("Ein sehr langer Betreff mit Umlauten äöü und 中文 ", 18)).Trim()) with
        {
            Text = new string('x', 5000) + "\nend",
            Html = "<p>" + string.Concat(Enumerable.Repeat("<span>ö</span>", 800)) + "</p>",
        };
        yield return Email("Anhänge") with
        {
            Attachments =
            [
                Attachment("报告 2026.pdf", "application/pdf", 5_000),
                Attachment("résumé.txt", "text/plain", 10),
                Attachment("two bytes.bin", null, 2),
                Attachment("line.bin", "application/octet-stream", 57),
                Attachment("Ünïcödé 名前 with a long name that goes on and on beyond one header line.csv", "text/csv", 3_000),
            ],
        };
        // Over 64 KiB: the intake sends it from its delivery (the lanes carry small bodies only).
        yield return Email("Eine größere Datei") with { Attachments = [Attachment("photo.jpg", "image/jpeg", 200_000)] };
        // Near the provider's limits: under 4 MB each, and the message under its 10 MB on the wire (two of 3.9 MB would be
        // 10.67 MB in base64, refused unsent).
        yield return Email("Zwei große Dateien") with
        {
            Attachments = [Attachment("archive-1.zip", "application/zip", 3_900_000), Attachment("archive-2.zip", "application/zip", 3_600_000)],
        };
        for (var i = 0; i < 5; i++)
            yield return Email($"Serie {i}: ✉ Nachricht") with { Attachments = [Attachment($"beleg-{i}.pdf", "application/pdf", 10_000 + i * 7)] };
    }

    private static EmailAttachment Attachment(string fileName, string? contentType, int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        if (contentType == "text/plain")
            bytes = Encoding.UTF8.GetBytes(new string('é', size))[..size];
        return new EmailAttachment { FileName = fileName, ContentType = contentType, Content = Convert.ToBase64String(bytes) };
    }

    private async Task<WorkerProcess> StartWorkerAsync(string workerId, IDictionary<string, string?>? overrides = null)
    {
        var port = Provider.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var configuration = new Dictionary<string, string?>
        {
            ["Ses:Accounts:0:Port"] = port,
            ["Ses:Accounts:1:Port"] = port,
            ["Ses:Smtp:TrustedCertificateFile"] = Provider.CertificateFile,
            // The default margin: the limiter's precision is under test here too.
            ["Ses:RateLimiting:SafetyMargin"] = null,
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            configuration[key] = value;
        var worker = await WorkerProcess.StartAsync(fixture, workerId, configuration);
        _workers.Add(worker);
        return worker;
    }
}
