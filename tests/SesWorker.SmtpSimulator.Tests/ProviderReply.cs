using System.Text.Json;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>Reads the provider's business-error reply: <c>554 5.0.0 ... ##SES-response-json: {...}</c>.</summary>
internal static class ProviderReply
{
    public const string Prefix = "554 5.0.0 Error: transaction failed, blame it on the weather: ##SES-response-json: ";

    public static (string Code, string Message, Guid RequestId) Parse(string reply)
    {
        Assert.StartsWith(Prefix, reply, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(reply[Prefix.Length..]);
        var response = json.RootElement.GetProperty("Response");
        var error = response.GetProperty("QcloudError").GetProperty("Error");
        return (error.GetProperty("Code").GetString()!, error.GetProperty("Message").GetString()!, Guid.Parse(response.GetProperty("RequestId").GetString()!));
    }

    public static string Code(string reply) => Parse(reply).Code;
}
