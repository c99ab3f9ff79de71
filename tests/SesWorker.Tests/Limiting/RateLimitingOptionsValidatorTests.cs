using SesWorker.Worker.Limiting;

namespace SesWorker.Tests.Limiting;

public sealed class RateLimitingOptionsValidatorTests
{
    private static List<string> Errors(RateLimitingOptions options) =>
        new RateLimitingOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Theory]
    [InlineData(20)]
    [InlineData(1)]
    [InlineData(0.5)]
    [InlineData(100)]
    [InlineData(20.4)]
    public void A_rate_whose_calls_in_a_second_span_more_than_a_second_is_kept(double rate)
    {
        Assert.Empty(Errors(new RateLimitingOptions { Overrides = { ["1250000000"] = rate } }));
        Assert.Empty(Errors(new RateLimitingOptions { RatePerSecond = rate }));
    }

    /// <summary>
    /// 19.9/s at the default 2.5% margin: 19 slots span 979 ms, so a send on time was already "late" and went on to
    /// excuse itself in a loop of database statements; at 1.5/s the appId all but stopped. 0, a negative rate and NaN
    /// started and then threw on every send of the appId.
    /// </summary>
    [Theory]
    [InlineData(19.9)]
    [InlineData(1.5)]
    [InlineData(10.5)]
    [InlineData(0)]
    [InlineData(-20)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rate_the_limiter_cannot_keep_fails_the_start_naming_its_key(double rate)
    {
        var error = Assert.Single(Errors(new RateLimitingOptions { Overrides = { ["1250000000"] = rate } }));

        Assert.StartsWith("Ses:RateLimiting:Overrides:1250000000 = ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void No_safety_margin_leaves_no_room_for_the_way_to_the_provider()
    {
        var error = Assert.Single(Errors(new RateLimitingOptions { SafetyMargin = 0 }));

        Assert.Contains("Ses:RateLimiting:RatePerSecond = 20", error, StringComparison.Ordinal);
        Assert.Contains("SafetyMargin", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The margin covers the longest a mail can take from its check to the provider's count: it equalled MaxHold
    /// alone (2 min), and a MaxHold of 10 minutes with it let an 11th mail in an hour through.
    /// </summary>
    [Fact]
    public void A_recipient_window_margin_shorter_than_a_mails_way_from_its_check_to_the_provider_fails_the_start()
    {
        Assert.Empty(Errors(new RateLimitingOptions()));
        var error = Assert.Single(Errors(new RateLimitingOptions { MaxHold = TimeSpan.FromMinutes(10) }));
        Assert.StartsWith("Ses:RateLimiting:RecipientWindowMargin = 00:05:00", error, StringComparison.Ordinal);
        Assert.Single(Errors(new RateLimitingOptions { RecipientWindowMargin = TimeSpan.FromMinutes(2) }));
        Assert.Empty(Errors(new RateLimitingOptions { RecipientWindowMargin = TimeSpan.FromMinutes(2), RecipientCapEnabled = false }));
    }
}
