namespace SesWorker.Worker.Sending;

/// <summary>
/// A message without a usable emailId: there is no key to record it under, so it goes to MassTransit's error queue
/// (with this message in its fault headers) instead of a history row. Never retried.
/// </summary>
public sealed class InvalidEmailIdException(string message) : Exception(message);
