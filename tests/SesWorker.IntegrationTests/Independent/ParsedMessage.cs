namespace SesWorker.IntegrationTests.Independent;

/// <summary>A kept message as Python's email package reads it (see <c>independent_provider.py inspect</c>).</summary>
internal sealed record ParsedMessage(
    string File,
    string MessageId,
    string Subject,
    IReadOnlyList<ParsedAddress> From,
    IReadOnlyList<string> To,
    IReadOnlyList<string> ReplyTo,
    string Date,
    string MimeVersion,
    string ContentType,
    IReadOnlyList<string> Defects,
    IReadOnlyList<string> RuleViolations,
    int LongestLine,
    int BareLineFeeds,
    string? Text,
    string? Html,
    IReadOnlyList<ParsedAttachment> Attachments);

internal sealed record ParsedAddress(string Name, string Address);

internal sealed record ParsedAttachment(string? FileName, string ContentType, string? Disposition, long Size, string Sha256);
