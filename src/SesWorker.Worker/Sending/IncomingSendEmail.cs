namespace SesWorker.Worker.Sending;

/// <summary>
/// What the intake on <c>send-email</c> consumes: any body, whatever its shape. The intake endpoint has one
/// deserializer (raw JSON, any message type) for every content type, MassTransit envelopes included, so every message
/// reaches its consumer as this empty type, and the consumer reads the body itself with
/// <see cref="Contracts.Reading.SendEmailReader"/>: it takes every shape producers write (plain strings for addresses,
/// numbers for appIds, producer keys for ids, envelopes) and, when a message cannot be sent, still finds the emailId
/// to record why.
/// </summary>
public sealed class IncomingSendEmail;
