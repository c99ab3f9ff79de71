using MimeKit;

namespace SesWorker.Core.Mime;

/// <summary>A message ready for the wire, with what its one measuring pass found.</summary>
public sealed record ComposedEmail(MimeMessage Message, string MessageId, long SizeBytes, int LongestLine, string Sha256);
