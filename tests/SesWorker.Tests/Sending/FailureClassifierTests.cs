using SesWorker.Core.Sending;

namespace SesWorker.Tests.Sending;

public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData("RequestLimitExceeded.SmtpRateLimit", FailureClass.RateLimited)]
    [InlineData("RequestLimitExceeded", FailureClass.RateLimited)]
    [InlineData("FailedOperation.FrequencyLimit", FailureClass.Transient)]
    [InlineData("FailedOperation.EmailContentToolarge", FailureClass.Oversize)]
    [InlineData("FailedOperation.AttachContentToolarge", FailureClass.Oversize)]
    [InlineData("FailedOperation.TooManyAttachments", FailureClass.Oversize)]
    [InlineData("InternalError", FailureClass.Transient)]
    [InlineData("FailedOperation.TemporaryBlocked", FailureClass.Transient)]
    [InlineData("FailedOperation.IncorrectEmail", FailureClass.Permanent)]
    [InlineData("FailedOperation.EmailAddrInBlacklist", FailureClass.Permanent)]
    [InlineData("FailedOperation.NotAuthenticatedSender", FailureClass.Permanent)]
    [InlineData("FailedOperation.ReceiverHasUnsubscribed", FailureClass.Permanent)]
    [InlineData("FailedOperation.SMTPForbidden", FailureClass.Permanent)]
    public void Provider_codes_fall_into_their_class(string code, FailureClass expected) =>
        Assert.Equal(expected, FailureClassifier.Classify(code, 554));

    [Fact]
    public void Unlisted_codes_follow_the_smtp_status()
    {
        Assert.Equal(FailureClass.Transient, FailureClassifier.Classify("Anything.New", 451));
        Assert.Equal(FailureClass.Permanent, FailureClassifier.Classify("Anything.New", 554));
    }
}
