namespace SesWorker.Contracts.Reading;

/// <summary>The codes <see cref="SendEmailReader"/> gives; stored as the failure code (malformed) or the fault reason (unreadable).</summary>
public static class SendEmailReadCodes
{
    /// <summary>The email id was read, but a field had the wrong shape or the JSON broke off after it.</summary>
    public const string MalformedMessage = "SesWorker.MalformedMessage";

    /// <summary>The body is not JSON, not an object, or names no email id.</summary>
    public const string NoEmailId = "SesWorker.NoEmailId";

    /// <summary>An email id is there but cannot key a row: empty, all zeros, too long, or not a string.</summary>
    public const string InvalidEmailId = "SesWorker.InvalidEmailId";
}
