using MimeKit;

namespace SesWorker.Core.Mime;

/// <summary>A message ready for the wire, with what its one measuring pass found.</summary>
/// <param name="BodyBytes">The message as sent minus the attachments' encoded content: what the provider's 1 MB body rule measures.</param>
public sealed record ComposedEmail(MimeMessage Message, string MessageId, long SizeBytes, long BodyBytes, int LongestLine, string Sha256);
