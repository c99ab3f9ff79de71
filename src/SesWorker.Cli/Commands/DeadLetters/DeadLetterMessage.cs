using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using SesWorker.Messaging;

namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>
/// One message taken from a dead-letter queue and not yet acknowledged, with what an operator looks at:
/// the worker's headers, or MassTransit's fault headers, and the SendEmail's ids and subject from the body.
/// The body may be a MassTransit envelope, the producer's raw JSON, or anything at all (the error queue).
/// </summary>
internal sealed class DeadLetterMessage
{
    private const string FaultExceptionType = "MT-Fault-ExceptionType";
    private const string FaultTimestamp = "MT-Fault-Timestamp";

    private readonly IChannel _channel;
    private readonly ulong _deliveryTag;

    private DeadLetterMessage(DeadLetterQueue queue, IChannel channel, BasicGetResult result)
    {
        _channel = channel;
        _deliveryTag = result.DeliveryTag;
        Queue = queue;
        Exchange = result.Exchange;
        RoutingKey = result.RoutingKey;
        Redelivered = result.Redelivered;
        Properties = result.BasicProperties;
        // The client may reuse its buffer once the next frame arrives.
        Body = result.Body.ToArray();
        Headers = result.BasicProperties.Headers is { } headers
            ? new Dictionary<string, object?>(headers, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);

        var content = ReadSendEmail(Body);
        EmailId = NormalizeEmailId(HeaderValues.Text(Headers, DeadLetterHeaders.EmailId) ?? content.EmailId);
        AppId = HeaderValues.Text(Headers, DeadLetterHeaders.AppId) ?? content.AppId;
        Subject = content.Subject;
        Code = HeaderValues.Text(Headers, DeadLetterHeaders.Code) ?? HeaderValues.Text(Headers, FaultExceptionType);
        Attempts = HeaderValues.Int(Headers, DeadLetterHeaders.Attempts);
        Cycles = HeaderValues.Int(Headers, DeadLetterHeaders.Cycles);
        FirstFailure = HeaderValues.Time(Headers, DeadLetterHeaders.FirstFailure) ?? HeaderValues.Time(Headers, FaultTimestamp);
        LastFailure = HeaderValues.Time(Headers, DeadLetterHeaders.LastFailure) ?? HeaderValues.Time(Headers, FaultTimestamp);
        IsEnvelope = content.IsEnvelope;
    }

    public DeadLetterQueue Queue { get; }

    public string Exchange { get; }

    public string RoutingKey { get; }

    public bool Redelivered { get; }

    public IReadOnlyBasicProperties Properties { get; }

    public byte[] Body { get; }

    public IReadOnlyDictionary<string, object?> Headers { get; }

    /// <summary>As a lower-case GUID when it is one, else as found; null when neither headers nor body name one.</summary>
    public string? EmailId { get; }

    public string? AppId { get; }

    public string? Subject { get; }

    /// <summary>The worker's error code, or for a MassTransit fault the exception type.</summary>
    public string? Code { get; }

    public int? Attempts { get; }

    public int? Cycles { get; }

    public DateTimeOffset? FirstFailure { get; }

    public DateTimeOffset? LastFailure { get; }

    /// <summary>A MassTransit envelope: the SendEmail is under "message" and MassTransit reads headers from "headers".</summary>
    public bool IsEnvelope { get; }

    public static DeadLetterMessage From(DeadLetterQueue queue, IChannel channel, BasicGetResult result) => new(queue, channel, result);

    public Task AckAsync(CancellationToken cancellationToken) => _channel.BasicAckAsync(_deliveryTag, multiple: false, cancellationToken).AsTask();

    public static string? NormalizeEmailId(string? value) =>
        value is null ? null : Guid.TryParse(value, out var id) ? id.ToString("D") : value.Trim();

    private static (string? EmailId, string? AppId, string? Subject, bool IsEnvelope) ReadSendEmail(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return default;
            var isEnvelope = TryGetProperty(document.RootElement, "message", out var message) && message.ValueKind == JsonValueKind.Object
                && TryGetProperty(document.RootElement, "messageType", out _);
            var command = isEnvelope ? message : document.RootElement;
            return (Scalar(command, "emailId"), Scalar(command, "appId"), Scalar(command, "subject"), isEnvelope);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? Scalar(JsonElement element, string name) =>
        TryGetProperty(element, name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        } : null;

    /// <summary>Producers in any language: camelCase, PascalCase or anything in between.</summary>
    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public string BodyPreview(int maxChars)
    {
        try
        {
            var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Body);
            return text.Length <= maxChars ? text : $"{text[..maxChars]}... ({text.Length} characters)";
        }
        catch (DecoderFallbackException)
        {
            return $"({Body.Length} bytes, not UTF-8) base64: {Convert.ToBase64String(Body, 0, Math.Min(Body.Length, 192))}";
        }
    }
}
