namespace SesWorker.Core.Limiting;

/// <summary>
/// What the provider takes: the lead (MAIL FROM to its go-ahead for the content) and the reply to the content, as
/// measured by one appId, or by every appId of the process together (the <c>fallback</c>). An appId's estimates are the
/// process's until it has measured the provider itself, and every measurement feeds both: every appId talks to the same
/// provider, so one that has not sent yet is at the distance the others measured, not at a fixed guess. With 200 appIds
/// of 15 messages each at 300 ms per reply, every appId started from the fixed 500 ms lead and a reply estimate of
/// nothing: its first sends reached their content hundreds of milliseconds late and took fresh slots or excuses (778 of
/// 3,000 sends). Thread-safe.
/// </summary>
public sealed class ProviderLatency(TimeSpan initialLead, TimeSpan minimumLead, TimeSpan maximum, ProviderLatency? fallback = null)
{
    private readonly Lock _lock = new();
    private readonly LeadEstimator _lead = new(initialLead, minimumLead, maximum);
    private readonly LeadEstimator _reply = new(TimeSpan.Zero, TimeSpan.Zero, maximum);

    /// <summary>The lead to ask for: the configured one until it, or its fallback, measured any.</summary>
    public TimeSpan Lead => Own(_lead) ?? fallback!.Lead;

    /// <summary>How long the provider takes to answer a message's content: nothing until it, or its fallback, measured any.</summary>
    public TimeSpan Reply => Own(_reply) ?? fallback!.Reply;

    public void ObserveLead(TimeSpan sample)
    {
        lock (_lock)
            _lead.Observe(sample);
        fallback?.ObserveLead(sample);
    }

    /// <summary>Returns what a reply usually takes (<see cref="Reply"/> before this sample), then learns from the sample.</summary>
    public TimeSpan ObserveReply(TimeSpan sample)
    {
        var usual = Reply;
        lock (_lock)
            _reply.Observe(sample);
        fallback?.ObserveReply(sample);
        return usual;
    }

    /// <summary>Its own estimate, or null where it has measured nothing and has a fallback to ask.</summary>
    private TimeSpan? Own(LeadEstimator estimator)
    {
        lock (_lock)
            return estimator.Samples > 0 || fallback is null ? estimator.Estimate : null;
    }
}
