namespace SesWorker.Core.Limiting;

/// <summary>
/// What the provider takes, as this process has measured it over every appId: what an appId uses until it has
/// measured its own. Every appId talks to the same provider, so one this process has not sent for yet is at the
/// distance the others measured, not at a fixed guess. With 200 appIds of 15 messages each at 300 ms per reply, every
/// appId started from the fixed 500 ms lead and a reply estimate of nothing: its first sends reached their content
/// hundreds of milliseconds late and took fresh slots or excuses (778 of 3,000 sends). Thread-safe.
/// </summary>
public sealed class ProviderLatency(TimeSpan initialLead, TimeSpan minimumLead, TimeSpan maximum)
{
    private readonly Lock _lock = new();
    private readonly LeadEstimator _lead = new(initialLead, minimumLead, maximum);
    private readonly LeadEstimator _reply = new(TimeSpan.Zero, TimeSpan.Zero, maximum);

    /// <summary>A transaction's lead (MAIL FROM to the go-ahead for its content): the configured one until any was measured.</summary>
    public TimeSpan Lead
    {
        get
        {
            lock (_lock)
                return _lead.Estimate;
        }
    }

    /// <summary>How long the provider takes to answer a message's content: nothing until any reply was measured.</summary>
    public TimeSpan Reply
    {
        get
        {
            lock (_lock)
                return _reply.Estimate;
        }
    }

    /// <summary>A lead measured for any appId.</summary>
    public void ObserveLead(TimeSpan sample)
    {
        lock (_lock)
            _lead.Observe(sample);
    }

    /// <summary>A reply to a message's content measured for any appId.</summary>
    public void ObserveReply(TimeSpan sample)
    {
        lock (_lock)
            _reply.Observe(sample);
    }
}

/// <summary>
/// One appId's estimates of the provider: its own once it has measured any, the provider's (<see cref="ProviderLatency"/>)
/// until then; every measurement feeds both. Thread-safe.
/// </summary>
public sealed class AppLatency(ProviderLatency provider, TimeSpan initialLead, TimeSpan minimumLead, TimeSpan maximum)
{
    private readonly Lock _lock = new();
    private readonly LeadEstimator _lead = new(initialLead, minimumLead, maximum);
    private readonly LeadEstimator _reply = new(TimeSpan.Zero, TimeSpan.Zero, maximum);

    /// <summary>The lead to ask for.</summary>
    public TimeSpan Lead
    {
        get
        {
            lock (_lock)
                return _lead.Samples > 0 ? _lead.Estimate : provider.Lead;
        }
    }

    public void ObserveLead(TimeSpan sample)
    {
        lock (_lock)
            _lead.Observe(sample);
        provider.ObserveLead(sample);
    }

    /// <summary>Returns what a reply usually takes (the estimate before this sample), then learns from the sample.</summary>
    public TimeSpan ObserveReply(TimeSpan sample)
    {
        TimeSpan usual;
        lock (_lock)
        {
            usual = _reply.Samples > 0 ? _reply.Estimate : provider.Reply;
            _reply.Observe(sample);
        }

        provider.ObserveReply(sample);
        return usual;
    }
}
