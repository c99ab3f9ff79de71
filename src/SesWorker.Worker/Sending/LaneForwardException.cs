namespace SesWorker.Worker.Sending;

/// <summary>
/// The broker did not take a body for its lane (the lane's exchange missing, a channel or connection closed, a publish
/// refused or returned unroutable). Infrastructure, not the message: the intake holds it and tries again.
/// </summary>
public sealed class LaneForwardException(string exchange, Exception inner)
    : Exception($"The broker did not take the message for {exchange}: {inner.Message}", inner);
