namespace SesWorker.Worker.Sending;

/// <summary>
/// An outcome the database refused for a reason waiting cannot mend (a constraint, a value it rejects): not an outage.
/// Not retried by the receive endpoint, so the message is faulted into its queue's error queue with this reason and the
/// consumer does not run again: running it again would send again, and fail to record again, for every retry.
/// </summary>
public sealed class OutcomeNotRecordedException(Guid emailId, string status, Exception inner)
    : Exception($"The outcome {status} of email {emailId} could not be recorded: {inner.Message}", inner)
{
    public Guid EmailId { get; } = emailId;
}
