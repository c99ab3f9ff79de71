using SesWorker.Client;
using SesWorker.Contracts;
using SesWorker.Core.Sending;

namespace SesWorker.Tests.Client;

/// <summary>
/// The producers' pre-send check says what the worker would say: a message it passes is not refused by the worker's
/// measure of the message as sent. Before, it ran only the raw rules, so a message the client, <c>sesworker publish</c>
/// and the schema all accepted ended <c>dead_lettered</c> as <c>EmailContentToolarge</c> in the worker.
/// </summary>
public sealed class SendEmailMessagesTests
{
    private static readonly SesLimits Limits = new();

    private static SendEmail Message(string text = "Body", params int[] attachmentBytes) => new()
    {
        EmailId = Guid.NewGuid(),
        AppId = "1000",
        From = new EmailAddress { Address = "noreply@example.com" },
        To = [new EmailAddress { Address = "a@example.org" }],
        Subject = "Hello",
        Text = text,
        Attachments = attachmentBytes.Length == 0
            ? null
            : attachmentBytes.Select((bytes, i) => new EmailAttachment { FileName = $"f{i}.bin", Content = Convert.ToBase64String(new byte[bytes]) }).ToList(),
    };

    [Fact]
    public void Two_attachments_at_the_raw_limits_are_refused_as_the_worker_refuses_them_over_10_MB_as_sent()
    {
        var message = Message("Body", Limits.MaxAttachmentBytes, Limits.MaxAttachmentBytes);

        Assert.Null(new SendEmailValidator(Limits).Validate(message));
        var refused = SendEmailMessages.Check(message);

        Assert.Equal(ErrorCodes.EmailContentToolarge, refused?.Code);
        Assert.Contains("on the wire", refused!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_under_1_MB_as_written_but_over_it_as_sent_is_refused()
    {
        var message = Message(new string('a', 900_000));

        Assert.Null(new SendEmailValidator(Limits).Validate(message));
        Assert.Equal(ErrorCodes.EmailContentToolarge, SendEmailMessages.Check(message)?.Code);
    }

    [Fact]
    public void A_message_within_every_limit_as_sent_passes()
    {
        Assert.Null(SendEmailMessages.Check(Message("Body", 3_900_000, 3_500_000)));
        Assert.Null(SendEmailMessages.Check(Message(new string('a', 700_000))));
    }

    [Fact]
    public void A_message_the_raw_rules_refuse_keeps_their_code()
    {
        Assert.Equal(ErrorCodes.AttachContentToolarge, SendEmailMessages.Check(Message("Body", Limits.MaxAttachmentBytes + 1))?.Code);
    }
}
