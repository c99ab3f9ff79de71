using System.ComponentModel.DataAnnotations;

namespace SesWorker.Core.Sending;

/// <summary>
/// The provider's content limits. Defaults are the strictest figures of the provider's documents: where two
/// disagree (e.g. 4 MB vs 5 MB per attachment) the stricter is the default and the looser a ceiling.
/// </summary>
public sealed class SesLimits
{
    public const string SectionName = "Ses:Limits";

    [Range(1, 50)]
    public int MaxRecipients { get; set; } = 50;

    [Range(0, 10)]
    public int MaxAttachments { get; set; } = 10;

    [Range(1, 5 * 1024 * 1024)]
    public int MaxAttachmentBytes { get; set; } = 4 * 1024 * 1024;

    [Range(1, 10 * 1024 * 1024)]
    public int MaxTotalAttachmentBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>The body without attachments (text and HTML as sent).</summary>
    [Range(1, 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The whole message on the wire must stay below this.</summary>
    [Range(1, 10 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    [Range(1, 998)]
    public int MaxSubjectLength { get; set; } = 998;

    /// <summary>The provider refuses a line of 2000 characters or more.</summary>
    [Range(78, 1999)]
    public int MaxLineLength { get; set; } = 1999;
}
