namespace SesWorker.Worker.Sending;

/// <summary>The email's claim is no longer this worker's (it stalled past the takeover time): it must not send.</summary>
public sealed class ClaimLostException(Guid emailId) : Exception($"The claim on email {emailId} belongs to another worker now.");
