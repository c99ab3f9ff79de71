namespace SesWorker.Worker.Sending;

/// <summary>
/// A duplicate delivery of an EmailId another replica is sending right now. Retried after a delay (not
/// acknowledged): if that replica dies, its lease expires and this delivery takes over.
/// </summary>
public sealed class EmailHeldElsewhereException(Guid emailId)
    : Exception($"Email {emailId} is being sent by another worker; retrying after its lease.")
{
    public Guid EmailId { get; } = emailId;
}
