using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client;
using SesWorker.Contracts;

namespace SesWorker.Cli.Commands;

/// <summary>
/// Publishes SendEmail as plain JSON with RabbitMQ.Client, as a producer in any language would: to the
/// exchange named after the queue, persistent, with publisher confirms.
/// </summary>
internal static class PublishCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(IConfiguration configuration, CliArguments args, CancellationToken cancellationToken)
    {
        var count = args.GetInt("count", 1);
        var exchange = args.Get("exchange") ?? "send-email";
        var attachments = args.GetAll("attach").Select(path => new EmailAttachment
        {
            FileName = Path.GetFileName(path),
            Content = Convert.ToBase64String(File.ReadAllBytes(path)),
        }).ToList();
        var to = args.Required("to").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => new EmailAddress { Address = a }).ToList();

        var factory = Connections.RabbitMq(configuration).CreateFactory();
        await using var connection = await factory.CreateConnectionAsync("sesworker-cli", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);

        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var emailId = count == 1 && args.Get("email-id") is { } given ? Guid.Parse(given) : Guid.NewGuid();
            var command = new SendEmail
            {
                EmailId = emailId,
                AppId = args.Required("app-id"),
                From = new EmailAddress { Address = args.Required("from"), Name = args.Get("from-name") },
                To = to,
                Subject = args.Required("subject"),
                Text = args.Get("text"),
                Html = args.Get("html"),
                Attachments = attachments.Count == 0 ? null : attachments,
                Metadata = new Dictionary<string, string> { ["source"] = "sesworker-cli" },
            };
            var body = JsonSerializer.SerializeToUtf8Bytes(command, Json);
            var properties = new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent, MessageId = emailId.ToString() };
            await channel.BasicPublishAsync(exchange, string.Empty, mandatory: true, properties, body, cancellationToken);
            if (count == 1)
                Console.WriteLine($"published {emailId}");
        }

        if (count > 1)
            Console.WriteLine($"published {count} messages in {stopwatch.Elapsed.TotalSeconds:F1}s");
        return 0;
    }
}
