using SesWorker.Core.Sending;
using SesWorker.Core.Smtp;

namespace SesWorker.Tests.Smtp;

public sealed class SmtpReplyParserTests
{
    [Theory]
    // The business error, in QcloudError.
    [InlineData("""{"Response":{"RequestId":"bee4e9fb-8127-48cc-b606-bbb1e801596b","QcloudError":{"Error":{"Code":"RequestLimitExceeded.SmtpRateLimit","Message":"smtp sending frequency limit"}}}}""",
        "RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit", "bee4e9fb-8127-48cc-b606-bbb1e801596b")]
    // An API error, in Error beside the RequestId.
    [InlineData("""{"Response":{"Error":{"Code":"AuthFailure.UnauthorizedOperation","Message":"the request is not authorized"},"RequestId":"6e2b3f0a-1c4d-4e5f-8a9b-0c1d2e3f4a5b"}}""",
        "AuthFailure.UnauthorizedOperation", "the request is not authorized", "6e2b3f0a-1c4d-4e5f-8a9b-0c1d2e3f4a5b")]
    public void The_providers_json_is_read_for_code_message_and_request_id(string json, string code, string message, string requestId)
    {
        var parsed = SmtpReplyParser.Parse($"554 5.0.0 Error: transaction failed, blame it on the weather: ##SES-response-json: {json}");

        Assert.Equal(554, parsed.Status);
        Assert.Equal("5.0.0", parsed.EnhancedCode);
        Assert.Equal(code, parsed.ProviderCode);
        Assert.Equal(message, parsed.ProviderMessage);
        Assert.Equal(requestId, parsed.RequestId);
    }

    [Fact]
    public void A_response_without_an_error_keeps_only_its_request_id()
    {
        var parsed = SmtpReplyParser.Parse(554, """5.0.0 Error: x ##SES-response-json: {"Response":{"RequestId":"r3"}}""");

        Assert.Null(parsed.ProviderCode);
        Assert.Null(parsed.ProviderMessage);
        Assert.Equal("r3", parsed.RequestId);
    }

    [Fact]
    public void The_seeds_truncated_example_still_yields_its_code_and_request_id()
    {
        // Verbatim from SES SMTP error codes: the JSON is cut off and the message runs into the code.
        const string reply = """554 5.0.0 Error: transaction failed, blame it on the weather: ##SES-response-json: {"Response":{"RequestId":"bee4e9fb-8127-48cc-b606-bbb1e801596b","QcloudError":{"Error":{"Code":"FailedOperation.MissingEmailContent. The operation failed. The content of the email is missing (TemplateData and Simple cannot be both empty).""";

        var parsed = SmtpReplyParser.Parse(reply);

        Assert.Equal("FailedOperation.MissingEmailContent", parsed.ProviderCode);
        Assert.StartsWith("The operation failed.", parsed.ProviderMessage, StringComparison.Ordinal);
        Assert.Equal("bee4e9fb-8127-48cc-b606-bbb1e801596b", parsed.RequestId);
    }

    [Fact]
    public void Plain_system_error_for_a_long_line_is_recognised()
    {
        const string reply = "554 5.0.0 Error: transaction failed, blame it on the weather: smtp: too longer line in input stream or other logs that contain too longer. write tcp *.*.*.*:60575->*.*.*.*:25: write: broken pipe";

        var parsed = SmtpReplyParser.Parse(reply);

        Assert.Equal(ErrorCodes.LineTooLong, parsed.ProviderCode);
        Assert.Null(parsed.RequestId);
    }

    [Theory]
    [InlineData("451 4.3.0 try later", 451, "4.3.0", "try later")]
    [InlineData("250 2.0.0 Ok: queued as 1234", 250, "2.0.0", "Ok: queued as 1234")]
    [InlineData("421 Service not available", 421, null, "Service not available")]
    public void Plain_replies_split_into_status_enhanced_code_and_text(string reply, int status, string? enhanced, string text)
    {
        var parsed = SmtpReplyParser.Parse(reply);

        Assert.Equal(status, parsed.Status);
        Assert.Equal(enhanced, parsed.EnhancedCode);
        Assert.Equal(text, parsed.Text);
        Assert.Null(parsed.ProviderCode);
    }

    [Fact]
    public void Unknown_provider_codes_are_kept_verbatim()
    {
        var parsed = SmtpReplyParser.Parse(554, """5.0.0 Error: x ##SES-response-json: {"Response":{"RequestId":"r1","QcloudError":{"Error":{"Code":"FailedOperation.SomethingNew","Message":"m"}}}}""");

        Assert.Equal("FailedOperation.SomethingNew", parsed.ProviderCode);
        Assert.Equal(FailureClass.Permanent, FailureClassifier.Classify(parsed.ProviderCode!, parsed.Status));
    }
}
