namespace SesWorker.Core.Limiting;

/// <summary>
/// What the provider takes, as this process has measured it over every appId: where the estimates of an appId it has not
/// sent for yet start. Every appId talks to the same provider, so one new to this process is at the distance the others
/// measured, not at a fixed guess. With 200 appIds of 15 messages each at 300 ms per reply, every appId started from the
/// fixed 500 ms lead and a reply estimate of nothing: its first sends reached their content hundreds of milliseconds
/// late and took fresh slots or excuses (778 of 3,000 sends), and the send gate, which grows only while sends are on
/// time, stayed at its floor (25 sends/s on a machine 76% idle). Thread-safe.
/// </summary>
public sealed class ProviderLatency(TimeSpan initialLead, TimeSpan minimumLead, TimeSpan maximum)
{
    private readonly Lock _lock = new();
    private readonly LeadEstimator _lead = new(initialLead, minimumLead, maximum);
    private readonly LeadEstimator _reply = new(TimeSpan.Zero, TimeSpan.Zero, maximum);

    /// <summary>A transaction's lead (MAIL FROM to the go-ahead for its content), measured for any appId.</summary>
    public void ObserveLead(TimeSpan sample)
    {
        lock (_lock)
            _lead.Observe(sample);
    }

    /// <summary>How long the provider took to answer a message's content, measured for any appId.</summary>
    public void ObserveReply(TimeSpan sample)
    {
        lock (_lock)
            _reply.Observe(sample);
    }

    /// <summary>The lead estimator of an appId new to this process: it starts at the provider's lead as measured so far.</summary>
    public LeadEstimator NewLeadEstimator()
    {
        lock (_lock)
            return new LeadEstimator(_lead.Estimate, minimumLead, maximum);
    }

    /// <summary>The reply estimator of an appId new to this process: it starts at the provider's replies as measured so far.</summary>
    public LeadEstimator NewReplyEstimator()
    {
        lock (_lock)
            return new LeadEstimator(_reply.Estimate, TimeSpan.Zero, maximum);
    }
}
