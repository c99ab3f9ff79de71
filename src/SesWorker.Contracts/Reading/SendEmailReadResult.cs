using System.Diagnostics.CodeAnalysis;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// One of three: <see cref="SendEmailReadStatus.Readable"/> with the whole <see cref="Message"/>;
/// <see cref="SendEmailReadStatus.Malformed"/> with a partial <see cref="Message"/> (its EmailId, ProducerKey, and
/// whatever else could be read, for the history row) plus <see cref="Code"/> and <see cref="Reason"/>; or
/// <see cref="SendEmailReadStatus.Unreadable"/> with only <see cref="Code"/> and <see cref="Reason"/>.
/// </summary>
public sealed class SendEmailReadResult
{
    private SendEmailReadResult(SendEmailReadStatus status, SendEmail? message, string? code, string? reason)
    {
        Status = status;
        Message = message;
        Code = code;
        Reason = reason;
    }

    public SendEmailReadStatus Status { get; }

    /// <summary>The command (readable), or the fields that could be read (malformed); null when unreadable.</summary>
    public SendEmail? Message { get; }

    /// <summary>A <see cref="SendEmailReadCodes"/> value; null when readable.</summary>
    public string? Code { get; }

    /// <summary>What was wrong, in words (the JSON parser's own message where it had one); null when readable.</summary>
    public string? Reason { get; }

    /// <summary>
    /// The headers of a MassTransit envelope the command came in (where MassTransit keeps a sender's headers, not in
    /// the transport's); empty for plain JSON.
    /// </summary>
    public IReadOnlyDictionary<string, object> EnvelopeHeaders { get; private init; } = NoHeaders;

    [MemberNotNullWhen(true, nameof(Message))]
    public bool IsReadable => Status == SendEmailReadStatus.Readable;

    /// <summary>True when there is an email id to key a history row on (readable or malformed).</summary>
    [MemberNotNullWhen(true, nameof(Message))]
    public bool HasEmailId => Status != SendEmailReadStatus.Unreadable;

    private static readonly IReadOnlyDictionary<string, object> NoHeaders = new Dictionary<string, object>();

    internal SendEmailReadResult WithEnvelopeHeaders(IReadOnlyDictionary<string, object> headers) =>
        new(Status, Message, Code, Reason) { EnvelopeHeaders = headers };

    internal static SendEmailReadResult Readable(SendEmail message) => new(SendEmailReadStatus.Readable, message, null, null);

    internal static SendEmailReadResult Malformed(SendEmail partial, string reason) =>
        new(SendEmailReadStatus.Malformed, partial, SendEmailReadCodes.MalformedMessage, reason);

    internal static SendEmailReadResult Unreadable(string code, string reason) => new(SendEmailReadStatus.Unreadable, null, code, reason);

    public override string ToString() => Status == SendEmailReadStatus.Readable
        ? $"Readable {Message!.EmailId}"
        : $"{Status} {Message?.EmailId.ToString() ?? "-"} {Code}: {Reason}";
}
