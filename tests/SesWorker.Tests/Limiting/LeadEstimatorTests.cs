using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class LeadEstimatorTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void Before_any_sample_the_initial_lead_is_used()
    {
        Assert.Equal(Initial, new LeadEstimator(Initial, TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(3)).Estimate);
    }

    [Fact]
    public void A_jittery_provider_gets_a_lead_above_nearly_all_of_its_replies()
    {
        var estimator = new LeadEstimator(Initial, TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(3));
        var random = new Random(7);
        var samples = Enumerable.Range(0, 2000).Select(_ => 300 + random.Next(-90, 91)).ToList();
        var covered = 0;
        foreach (var sample in samples)
        {
            if (estimator.Samples > 50 && estimator.Estimate.TotalMilliseconds >= sample)
                covered++;
            estimator.Observe(TimeSpan.FromMilliseconds(sample));
        }

        Assert.InRange(covered / (double)(samples.Count - 51), 0.99, 1.0);
        // A high estimate, not an absurd one: the sends do not start seconds early.
        Assert.InRange(estimator.Estimate.TotalMilliseconds, 350, 600);
    }

    [Fact]
    public void The_lead_follows_a_provider_that_becomes_slower_within_a_few_dozen_sends()
    {
        var estimator = new LeadEstimator(Initial, TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(3));
        for (var i = 0; i < 100; i++)
            estimator.Observe(TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 40; i++)
            estimator.Observe(TimeSpan.FromMilliseconds(400));

        Assert.InRange(estimator.Estimate.TotalMilliseconds, 400, 1500);
    }

    [Fact]
    public void The_lead_stays_within_its_bounds()
    {
        var estimator = new LeadEstimator(Initial, TimeSpan.FromMilliseconds(2), TimeSpan.FromSeconds(3));
        estimator.Observe(TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMilliseconds(2), estimator.Estimate);
        for (var i = 0; i < 10; i++)
            estimator.Observe(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(3), estimator.Estimate);
    }
}
