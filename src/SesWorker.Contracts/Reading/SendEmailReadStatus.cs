namespace SesWorker.Contracts.Reading;

/// <summary>What <see cref="SendEmailReader"/> could make of a message body.</summary>
public enum SendEmailReadStatus
{
    /// <summary>A whole <see cref="SendEmail"/>, ready for the provider's rules (<c>SendEmailValidator</c>).</summary>
    Readable,

    /// <summary>The email id was read, something else was not: the history row gets a failed outcome with a code.</summary>
    Malformed,

    /// <summary>No usable email id: nothing to key a history row on, so the message stays in the error queue.</summary>
    Unreadable,
}
