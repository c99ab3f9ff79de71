using System.Net.Mime;
using MassTransit;
using MassTransit.Configuration;
using MassTransit.Serialization;

namespace SesWorker.Worker.Hosting;

/// <summary>
/// The only deserializer of the intake and the lanes: MassTransit's raw JSON one, handed an empty object, so that every
/// body (cut short, not JSON, an envelope) reaches the consumer, which reads the original bytes with
/// <see cref="Contracts.Reading.SendEmailReader"/>. A truncated message whose emailId survived gets its history row with
/// the parser's reason instead of vanishing into <c>send-email_error</c>; one with no readable id is refused there by the
/// consumer, with the reader's reason.
/// </summary>
internal sealed class IntakeDeserializer(IMessageDeserializer inner) : IMessageDeserializer
{
    private static readonly MessageBody EmptyObject = new StringMessageBody("{}");

    public ContentType ContentType => inner.ContentType;

    public void Probe(ProbeContext context) => inner.Probe(context);

    public ConsumeContext Deserialize(ReceiveContext receiveContext)
    {
        ArgumentNullException.ThrowIfNull(receiveContext);
        return new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));
    }

    /// <summary>
    /// Never parses the body: the consumer reads ReceiveContext.Body itself, once. MassTransit's raw deserializer would
    /// parse it into a JsonElement of its own, a whole copy of every message (attachments included) that nothing reads.
    /// </summary>
    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        inner.Deserialize(EmptyObject, headers, destinationAddress);

    public MessageBody GetMessageBody(string text) => inner.GetMessageBody(text);

    /// <summary>Registers it for every content type on the endpoint (the raw deserializer handles any message type).</summary>
    internal sealed class Factory : ISerializerFactory
    {
        private readonly SystemTextJsonRawMessageSerializerFactory _raw = new(RawSerializerOptions.AnyMessageType);

        public ContentType ContentType => _raw.ContentType;

        public IMessageSerializer CreateSerializer() => _raw.CreateSerializer();

        public IMessageDeserializer CreateDeserializer() => new IntakeDeserializer(_raw.CreateDeserializer());
    }
}
