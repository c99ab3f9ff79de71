using Microsoft.Extensions.Hosting;
using SesWorker.Contracts;
using SesWorker.Core.Mime;

namespace SesWorker.Worker.Hosting;

/// <summary>
/// Composes and writes one message before the bus starts, so the first real sends do not pay for compiling
/// MimeKit's paths between their slot and the end of DATA (a cold send can reach the provider tens of ms late).
/// </summary>
public sealed class WarmUp(MimeComposer composer) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var email = composer.Compose(new SendEmail
        {
            EmailId = Guid.NewGuid(),
            AppId = "0",
            From = new EmailAddress { Address = "warm-up@example.com" },
            To = [new EmailAddress { Address = "warm-up@example.com" }],
            Subject = "warm-up",
            Text = "warm-up",
            Html = "<p>warm-up</p>",
            Attachments = [new EmailAttachment { FileName = "a.txt", ContentType = "text/plain", Content = "YQ==" }],
        });
        await email.Message.WriteToAsync(MimeComposer.WireFormat, Stream.Null, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
