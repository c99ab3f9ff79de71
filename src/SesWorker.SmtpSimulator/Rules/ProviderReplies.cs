using System.Text.Json;

namespace SesWorker.SmtpSimulator.Rules;

/// <summary>The provider's reply formats, copied from the SMTP error-code page (SES SMTP error codes).</summary>
internal static class ProviderReplies
{
    private const string Weather = "5.0.0 Error: transaction failed, blame it on the weather: ";

    /// <summary>System error for a line of 2,000 characters or more (SES SMTP error codes, "System errors", item 1).</summary>
    public static Verdict LongLine { get; } = new(554, Weather + "smtp: too longer line in input stream");

    /// <summary>Business error: compact one-line JSON after <c>##SES-response-json: </c>, a fresh RequestId each time.</summary>
    public static Verdict Business(string code, string message)
    {
        var json = JsonSerializer.Serialize(new
        {
            Response = new
            {
                RequestId = Guid.NewGuid().ToString(),
                QcloudError = new { Error = new { Code = code, Message = message } },
            },
        });
        return new Verdict(554, Weather + "##SES-response-json: " + json, code);
    }
}
