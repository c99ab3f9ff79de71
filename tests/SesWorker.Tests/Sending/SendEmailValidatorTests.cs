using SesWorker.Contracts;
using SesWorker.Core.Sending;

namespace SesWorker.Tests.Sending;

public sealed class SendEmailValidatorTests
{
    private static readonly SesLimits Limits = new();

    private static readonly SendEmailValidator Validator = new(Limits);

    private static SendEmail Valid() => new()
    {
        EmailId = Guid.NewGuid(),
        AppId = "1000",
        From = new EmailAddress { Address = "noreply@example.com" },
        To = [new EmailAddress { Address = "a@example.org" }],
        Subject = "Hello",
        Text = "Body",
    };

    private static EmailAttachment Attachment(int bytes, string name = "f.bin") =>
        new() { FileName = name, Content = Convert.ToBase64String(new byte[bytes]) };

    /// <summary><paramref name="count"/> sizes: the first at the per-attachment limit, the rest sharing what is left of the total.</summary>
    private static int[] SizesFillingTheTotal(int count)
    {
        var rest = Limits.MaxTotalAttachmentBytes - Limits.MaxAttachmentBytes;
        return [Limits.MaxAttachmentBytes, .. Enumerable.Range(1, count - 1).Select(i => rest / (count - 1) + (i <= rest % (count - 1) ? 1 : 0))];
    }

    private static List<EmailAttachment> Attachments(IEnumerable<int> sizes) =>
        sizes.Select((bytes, i) => Attachment(bytes, $"f{i}.bin")).ToList();

    private static SendEmail WithFiftyRecipientsAnd(IEnumerable<int> attachmentSizes) => Valid() with
    {
        To = Enumerable.Range(0, Limits.MaxRecipients).Select(i => new EmailAddress { Address = $"u{i}@example.org" }).ToList(),
        Attachments = Attachments(attachmentSizes),
    };

    [Fact]
    public void A_complete_message_passes() => Assert.Null(Validator.Validate(Valid()));

    public static TheoryData<string, string> Broken => new()
    {
        { "no-app", "MissingParameter" },
        { "no-from", "InvalidParameterValue.EmailAddressIsNULL" },
        { "bad-from", "FailedOperation.IncorrectSender" },
        { "no-to", "InvalidParameterValue.EmailAddressIsNULL" },
        { "bad-to", "FailedOperation.IncorrectEmail" },
        { "51-to", "FailedOperation.TooManyRecipients" },
        { "no-subject", "MissingParameter" },
        { "long-subject", "InvalidParameterValue" },
        { "no-body", "FailedOperation.MissingEmailContent" },
        { "big-body", "FailedOperation.EmailContentToolarge" },
        { "11-attachments", "FailedOperation.TooManyAttachments" },
        { "big-attachment", "FailedOperation.AttachContentToolarge" },
        { "big-total", "FailedOperation.AttachContentToolarge" },
        { "bad-base64", "InvalidParameterValue.AttachContentIsWrong" },
        { "path-name", "FailedOperation.InvalidAttachName" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Each_provider_rule_is_caught_with_the_providers_code(string problem, string code)
    {
        var message = problem switch
        {
            "no-app" => Valid() with { AppId = null },
            "no-from" => Valid() with { From = null },
            "bad-from" => Valid() with { From = new EmailAddress { Address = "nope" } },
            "no-to" => Valid() with { To = [] },
            "bad-to" => Valid() with { To = [new EmailAddress { Address = "a@@b" }] },
            "51-to" => Valid() with { To = Enumerable.Range(0, 51).Select(i => new EmailAddress { Address = $"u{i}@example.org" }).ToList() },
            "no-subject" => Valid() with { Subject = " " },
            "long-subject" => Valid() with { Subject = new string('s', 999) },
            "no-body" => Valid() with { Text = null },
            "big-body" => Valid() with { Html = new string('h', 1024 * 1024) },
            "11-attachments" => Valid() with { Attachments = Enumerable.Range(0, 11).Select(_ => Attachment(10)).ToList() },
            "big-attachment" => Valid() with { Attachments = [Attachment(4 * 1024 * 1024 + 1)] },
            "big-total" => Valid() with { Attachments = [Attachment(3 * 1024 * 1024), Attachment(3 * 1024 * 1024), Attachment(3 * 1024 * 1024)] },
            "bad-base64" => Valid() with { Attachments = [new EmailAttachment { FileName = "a.txt", Content = "not*base64" }] },
            "path-name" => Valid() with { Attachments = [Attachment(1, "../etc/passwd")] },
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var failure = Validator.Validate(message);

        Assert.NotNull(failure);
        Assert.Equal(code, failure.Code);
        Assert.False(string.IsNullOrWhiteSpace(failure.Message));
    }

    [Fact]
    public void Fifty_recipients_and_ten_attachments_at_the_limits_pass()
    {
        var sizes = SizesFillingTheTotal(Limits.MaxAttachments);

        Assert.Equal((50, 10, 4 * 1024 * 1024, 8 * 1024 * 1024), (Limits.MaxRecipients, sizes.Length, sizes.Max(), sizes.Sum()));
        Assert.Null(Validator.Validate(WithFiftyRecipientsAnd(sizes)));
    }

    [Fact]
    public void An_eleventh_attachment_within_the_size_limits_is_too_many()
    {
        var sizes = SizesFillingTheTotal(Limits.MaxAttachments + 1);

        var failure = Validator.Validate(WithFiftyRecipientsAnd(sizes));

        Assert.Equal((Limits.MaxAttachmentBytes, Limits.MaxTotalAttachmentBytes), (sizes.Max(), sizes.Sum()));
        Assert.Equal(ErrorCodes.TooManyAttachments, failure?.Code);
        Assert.Equal(FailureClass.Oversize, failure?.Class);
    }

    [Fact]
    public void Ten_attachments_one_byte_over_the_total_are_too_large()
    {
        var sizes = SizesFillingTheTotal(Limits.MaxAttachments);
        sizes[^1]++;

        var failure = Validator.Validate(WithFiftyRecipientsAnd(sizes));

        Assert.Equal(ErrorCodes.AttachContentToolarge, failure?.Code);
        Assert.Contains($"total {Limits.MaxTotalAttachmentBytes + 1} bytes", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_attachments_within_the_total_with_one_a_byte_over_its_own_limit_are_too_large()
    {
        var sizes = SizesFillingTheTotal(Limits.MaxAttachments);
        sizes[0]++;
        sizes[^1]--;

        var failure = Validator.Validate(WithFiftyRecipientsAnd(sizes));

        Assert.Equal(ErrorCodes.AttachContentToolarge, failure?.Code);
        Assert.Contains($"'f0.bin' is {Limits.MaxAttachmentBytes + 1} bytes", failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NUL_in_the_subject_or_a_display_name_is_refused_and_one_in_the_text_is_not()
    {
        Assert.Equal(ErrorCodes.InvalidParameterValue, Validator.Validate(Valid() with { Subject = "a\0b" })?.Code);
        Assert.Equal(ErrorCodes.InvalidParameterValue, Validator.Validate(Valid() with { From = new EmailAddress { Address = "noreply@example.com", Name = "Shop\0" } })?.Code);
        Assert.Equal(ErrorCodes.InvalidParameterValue, Validator.Validate(Valid() with { To = [new EmailAddress { Address = "u@example.org", Name = "\0" }] })?.Code);
        Assert.Null(Validator.Validate(Valid() with { Text = "line\0one" }));
    }
}
