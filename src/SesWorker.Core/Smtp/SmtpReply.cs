namespace SesWorker.Core.Smtp;

/// <summary>
/// One SMTP reply read apart: status, enhanced code, text, and, for the provider's business errors,
/// the code, message and RequestId from the <c>##SES-response-json:</c> payload.
/// </summary>
public sealed record SmtpReply(
    int Status,
    string? EnhancedCode,
    string Text,
    string? ProviderCode = null,
    string? ProviderMessage = null,
    string? RequestId = null)
{
    public bool IsTransient => Status is >= 400 and < 500;

    public override string ToString() => EnhancedCode is null ? $"{Status} {Text}" : $"{Status} {EnhancedCode} {Text}";
}
