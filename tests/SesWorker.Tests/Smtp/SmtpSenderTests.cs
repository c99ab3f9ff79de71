using SesWorker.Core.Sending;
using SesWorker.Core.Smtp;
using SesWorker.Worker.Smtp;

namespace SesWorker.Tests.Smtp;

public sealed class SmtpSenderTests
{
    [Theory]
    [InlineData(554, "5.7.1 Message rejected", "SesWorker.SmtpPermanent", FailureClass.Permanent, "554 5.7.1 Message rejected")]
    [InlineData(550, "Mailbox unavailable", "SesWorker.SmtpPermanent", FailureClass.Permanent, "550 Mailbox unavailable")]
    [InlineData(451, "4.3.0 try later", "SesWorker.SmtpTransient", FailureClass.Transient, "451 4.3.0 try later")]
    [InlineData(421, "Service not available", "SesWorker.SmtpTransient", FailureClass.Transient, "421 Service not available")]
    public void A_reply_without_the_providers_json_is_classified_by_its_status(int status, string text, string code, FailureClass expected, string message)
    {
        var failure = SmtpSender.Classify(SmtpReplyParser.Parse(status, text));

        Assert.Equal(new SendFailure(code, message, expected), failure);
    }

    [Fact]
    public void A_provider_json_without_an_error_is_classified_by_its_status()
    {
        var failure = SmtpSender.Classify(SmtpReplyParser.Parse(554, """5.0.0 Error: x ##SES-response-json: {"Response":{"RequestId":"r3"}}"""));

        Assert.Equal(ErrorCodes.SmtpPermanent, failure.Code);
        Assert.Equal(FailureClass.Permanent, failure.Class);
    }

    [Theory]
    [InlineData("QcloudError", 554, "RequestLimitExceeded.SmtpRateLimit", FailureClass.RateLimited)]
    [InlineData("QcloudError", 554, "FailedOperation.TemporaryBlocked", FailureClass.Transient)]
    [InlineData("QcloudError", 451, "FailedOperation.SomethingNew", FailureClass.Transient)]
    [InlineData("Error", 554, "RequestLimitExceeded", FailureClass.RateLimited)]
    [InlineData("Error", 554, "InternalError", FailureClass.Transient)]
    [InlineData("Error", 554, "AuthFailure.UnauthorizedOperation", FailureClass.Permanent)]
    public void A_provider_code_is_kept_with_its_message_and_classified_by_the_table(string wrapper, int status, string code, FailureClass expected)
    {
        var json = wrapper == "QcloudError"
            ? """{"Response":{"RequestId":"r1","QcloudError":{"Error":{"Code":"CODE","Message":"provider says no"}}}}"""
            : """{"Response":{"RequestId":"r1","Error":{"Code":"CODE","Message":"provider says no"}}}""";
        var reply = SmtpReplyParser.Parse(status, $"{status / 100}.0.0 Error: x ##SES-response-json: {json.Replace("CODE", code, StringComparison.Ordinal)}");

        var failure = SmtpSender.Classify(reply);

        Assert.Equal(new SendFailure(code, "provider says no", expected), failure);
    }

    [Fact]
    public void The_providers_plain_long_line_error_is_permanent_under_its_own_code()
    {
        const string text = "5.0.0 Error: transaction failed, blame it on the weather: smtp: too longer line in input stream or other logs that contain too longer. write tcp *.*.*.*:60575->*.*.*.*:25: write: broken pipe";

        var failure = SmtpSender.Classify(SmtpReplyParser.Parse(554, text));

        Assert.Equal(ErrorCodes.LineTooLong, failure.Code);
        Assert.Equal(FailureClass.Permanent, failure.Class);
        Assert.StartsWith("Error: transaction failed", failure.Message, StringComparison.Ordinal);
    }
}
