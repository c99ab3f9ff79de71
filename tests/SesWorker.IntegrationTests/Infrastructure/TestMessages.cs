using SesWorker.Contracts;

namespace SesWorker.IntegrationTests.Infrastructure;

internal static class TestMessages
{
    /// <summary>A valid email to a recipient of its own, so the provider's per-recipient hourly cap stays out of the way.</summary>
    public static SendEmail Email(string appId = SesWorkerFixture.AppId, string from = SesWorkerFixture.Sender, string? to = null, string? subject = null) => new()
    {
        EmailId = Guid.NewGuid(),
        AppId = appId,
        From = new EmailAddress { Address = from, Name = "Örders Désk" },
        To = [new EmailAddress { Address = to ?? $"user-{Guid.NewGuid():N}@example.org" }],
        Subject = subject ?? $"Ihre Bestellung {Guid.NewGuid():N}",
        Text = "Grüße aus dem Test.",
        Html = "<p>Grüße aus dem <b>Test</b>.</p>",
        Metadata = new Dictionary<string, string> { ["tenant"] = "acme" },
        CorrelationId = Guid.NewGuid(),
    };

    /// <summary>
    /// <see cref="Email"/> with attachments of <paramref name="sizes"/> bytes (random, the same for the same size and
    /// position), published as plain JSON: the body is what the worker reads its attachments from.
    /// </summary>
    public static SendEmail WithAttachments(string appId, string sender, params int[] sizes) => Email(appId, sender) with
    {
        Attachments = [.. sizes.Select((size, i) =>
        {
            var bytes = new byte[size];
            new Random(size + i).NextBytes(bytes);
            return new EmailAttachment { FileName = $"file{i}.bin", Content = Convert.ToBase64String(bytes) };
        })],
    };
}
