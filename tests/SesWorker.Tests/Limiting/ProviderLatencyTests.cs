using SesWorker.Core.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class ProviderLatencyTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(3);

    [Fact]
    public void Before_any_appId_was_measured_the_lead_is_the_configured_one_and_a_reply_takes_nothing()
    {
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);

        Assert.Equal(Initial, provider.Lead);
        Assert.Equal(TimeSpan.Zero, provider.Reply);
    }

    [Fact]
    public void What_the_appIds_measured_together_is_the_distance_of_the_provider()
    {
        // Three replies of 300 ms ± 100 ms before the content, one after it, measured for several appIds.
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            provider.ObserveLead(TimeSpan.FromMilliseconds(900 + random.Next(-300, 301)));
            provider.ObserveReply(TimeSpan.FromMilliseconds(300 + random.Next(-100, 101)));
        }

        // High estimates (mean plus four mean deviations), where the fixed 500 ms made every first send late.
        Assert.InRange(provider.Lead.TotalMilliseconds, 1000, 2000);
        Assert.InRange(provider.Reply.TotalMilliseconds, 320, 700);
    }

    [Fact]
    public void The_estimates_stay_within_the_bounds_of_a_lead()
    {
        var provider = new ProviderLatency(Initial, TimeSpan.FromMilliseconds(2), Maximum);
        provider.ObserveLead(TimeSpan.FromSeconds(10));
        provider.ObserveReply(TimeSpan.FromSeconds(10));

        Assert.Equal(Maximum, provider.Lead);
        Assert.Equal(Maximum, provider.Reply);
    }
}

public sealed class ProviderLatencyFallbackTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Minimum = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Maximum = TimeSpan.FromSeconds(3);

    [Fact]
    public void An_appId_without_measurements_of_its_own_uses_the_provider_s_even_those_made_after_it_was_created()
    {
        var provider = new ProviderLatency(Initial, Minimum, Maximum);
        var quiet = new ProviderLatency(Initial, Minimum, Maximum, provider);
        var busy = new ProviderLatency(Initial, Minimum, Maximum, provider);
        Assert.Equal(Initial, quiet.Lead);

        // A provider 1 s per reply away: MAIL, RCPT and DATA answered 3 s after MAIL FROM, measured by another appId.
        busy.ObserveLead(TimeSpan.FromMilliseconds(2900));
        busy.ObserveReply(TimeSpan.FromMilliseconds(1000));

        Assert.Equal(Maximum, quiet.Lead);
        // Its first reply is compared with the provider's usual, not with nothing.
        Assert.Equal(TimeSpan.FromMilliseconds(2002), quiet.ObserveReply(TimeSpan.FromMilliseconds(1000)));
    }

    [Fact]
    public void Once_an_appId_has_measured_the_provider_its_own_measurements_decide()
    {
        var provider = new ProviderLatency(Initial, Minimum, Maximum);
        var other = new ProviderLatency(Initial, Minimum, Maximum, provider);
        var app = new ProviderLatency(Initial, Minimum, Maximum, provider);
        for (var i = 0; i < 50; i++)
            other.ObserveLead(TimeSpan.FromMilliseconds(900));

        app.ObserveLead(TimeSpan.FromMilliseconds(100));

        // Its first sample: the mean, plus four mean deviations of a quarter of it, plus 2 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(202), app.Lead);
        Assert.True(provider.Lead > TimeSpan.FromMilliseconds(800), $"{provider.Lead}");
    }
}
