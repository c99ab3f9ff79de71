namespace SesWorker.SmtpSimulator.Rules;

/// <summary>The reply to one transaction. Code 0 means the connection is closed instead of replying.</summary>
internal sealed record Verdict(int Code, string Text, string? ErrorCode = null)
{
    public bool Accepted => Code == 250;

    public string Line => $"{Code} {Text}";
}
