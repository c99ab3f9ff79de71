using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class ProviderLatencyTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(3);

    [Fact]
    public void Before_any_appId_was_measured_a_new_one_starts_from_the_configured_lead_and_no_reply_time()
    {
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);

        Assert.Equal(Initial, provider.NewLeadEstimator().Estimate);
        Assert.Equal(TimeSpan.Zero, provider.NewReplyEstimator().Estimate);
    }

    [Fact]
    public void An_appId_new_to_the_process_starts_at_the_distance_the_others_measured()
    {
        // Three replies of 300 ms ± 100 ms before the content, one after it, measured for other appIds.
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            provider.ObserveLead(TimeSpan.FromMilliseconds(900 + random.Next(-300, 301)));
            provider.ObserveReply(TimeSpan.FromMilliseconds(300 + random.Next(-100, 101)));
        }

        var lead = provider.NewLeadEstimator();
        var reply = provider.NewReplyEstimator();

        // A high estimate of the lead (mean plus four mean deviations), where the fixed 500 ms made every first send late.
        Assert.InRange(lead.Estimate.TotalMilliseconds, 1000, 2000);
        Assert.InRange(reply.Estimate.TotalMilliseconds, 320, 700);
        // And from there the appId's own measurements take over.
        lead.Observe(TimeSpan.FromMilliseconds(100));
        Assert.InRange(lead.Estimate.TotalMilliseconds, 150, 250);
    }

    [Fact]
    public void The_seed_stays_within_the_bounds_of_a_lead()
    {
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);
        provider.ObserveLead(TimeSpan.FromSeconds(10));
        provider.ObserveReply(TimeSpan.FromSeconds(10));

        Assert.Equal(Maximum, provider.NewLeadEstimator().Estimate);
        Assert.Equal(Maximum, provider.NewReplyEstimator().Estimate);
    }
}
