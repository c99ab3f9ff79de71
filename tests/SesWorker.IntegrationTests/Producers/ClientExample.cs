using SesWorker.Client;
using SesWorker.Contracts;

namespace SesWorker.IntegrationTests.Producers;

/// <summary>The README's .NET example, word for word, so the test runs what people copy.</summary>
internal static class ClientExample
{
    public static async Task<PublishResult> PublishAsync(string amqpUri, string orderKey, string recipient, Stream invoice)
    {
        await using var publisher = await SesWorkerPublisher.ConnectAsync(amqpUri);
        var (emailId, producerKey) = EmailIds.From("1250000000", orderKey);   // or EmailIds.New()
        return await publisher.PublishAsync(new SendEmail
        {
            EmailId = emailId,
            ProducerKey = producerKey,
            AppId = "1250000000",
            From = EmailAddress.Parse("Shop <noreply@example.com>"),
            To = [EmailAddress.Parse(recipient)],
            Subject = "Your order",
            Text = "Thank you for your order.",
            Attachments = [await Attachments.FromStreamAsync(invoice, "invoice.pdf", "application/pdf")],
        });
        // result.Published, or result.Code and result.Reason: refused before publishing by the worker's own rules.
    }
}
