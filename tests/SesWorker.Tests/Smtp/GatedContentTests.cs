using MimeKit;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Worker.Smtp;

namespace SesWorker.Tests.Smtp;

public sealed class GatedContentTests
{
    private static readonly MimeComposer Composer = new(TimeProvider.System);

    private static ComposedEmail Compose(bool attachment) => Composer.Compose(new SendEmail
    {
        EmailId = Guid.NewGuid(),
        AppId = "1000",
        From = new EmailAddress { Address = "noreply@example.com" },
        To = [new EmailAddress { Address = "a@example.org" }],
        Subject = "Hello",
        Text = "Plain",
        Html = "<p>Html</p>",
        Attachments = attachment ? [new EmailAttachment { FileName = "a.txt", ContentType = "text/plain", Content = Convert.ToBase64String("abc"u8.ToArray()) }] : null,
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_armed_gate_holds_the_content_until_it_opens_and_the_bytes_are_unchanged(bool attachment)
    {
        var email = Compose(attachment);
        using var expected = new MemoryStream();
        await email.Message.WriteToAsync(MimeComposer.WireFormat, expected, TestContext.Current.CancellationToken);

        var open = new TaskCompletionSource();
        var gate = new ContentGate(_ => open.Task);
        gate.Arm();
        var part = email.Message.BodyParts.OfType<MimePart>().First();
        var content = part.Content;
        part.Content = new GatedContent(content!, gate);
        using var written = new MemoryStream();
        var writing = email.Message.WriteToAsync(MimeComposer.WireFormat, written, TestContext.Current.CancellationToken);

        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(writing.IsCompleted);
        Assert.True(gate.Passed);
        open.SetResult();
        await writing;
        part.Content = content;
        Assert.Equal(expected.ToArray(), written.ToArray());
    }

    [Fact]
    public async Task An_unarmed_gate_lets_the_content_through_as_when_MailKit_measures_the_message()
    {
        var email = Compose(attachment: false);
        var gate = new ContentGate(_ => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken));
        var part = email.Message.BodyParts.OfType<MimePart>().First();
        part.Content = new GatedContent(part.Content!, gate);

        using var written = new MemoryStream();
        await email.Message.WriteToAsync(MimeComposer.WireFormat, written, TestContext.Current.CancellationToken);

        Assert.Equal(email.SizeBytes, written.Length);
        Assert.False(gate.Passed);
    }
}
