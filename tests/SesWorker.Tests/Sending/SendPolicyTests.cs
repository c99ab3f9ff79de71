using Microsoft.Extensions.Time.Testing;
using SesWorker.Core.Sending;

namespace SesWorker.Tests.Sending;

public sealed class SendPolicyTests
{
    private static readonly SendPolicyOptions Options = new(MaxAttempts: 5, RetryBaseDelay: TimeSpan.FromSeconds(1),
        RetryMaxDelay: TimeSpan.FromSeconds(30), ConnectOutageTolerance: TimeSpan.FromMinutes(2));

    private readonly SendPolicy _policy = new(Options);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private static SendResult Failed(string code, FailureClass failureClass, bool unknown = false, bool notSent = false) =>
        new(new SendFailure(code, $"{code} happened", failureClass), unknown, notSent);

    private SendDecision Decide(SendResult result, int attempts = 0, DateTimeOffset? notSentSince = null, double jitter = 0.5) =>
        _policy.Decide(result, new AttemptHistory(attempts, notSentSince), _clock.GetUtcNow(), jitter);

    [Fact]
    public void An_accepted_message_is_sent()
    {
        Assert.IsType<SendDecision.Sent>(Decide(SendResult.Accepted));
    }

    [Fact]
    public void A_transient_reply_is_retried_after_a_growing_backoff_through_the_broker()
    {
        var first = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.SmtpTransient, FailureClass.Transient), attempts: 0, jitter: 1));
        var third = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.SmtpTransient, FailureClass.Transient), attempts: 2, jitter: 1));

        Assert.Equal(TimeSpan.FromSeconds(1), first.Delay);
        Assert.Equal(TimeSpan.FromSeconds(4), third.Delay);
        Assert.True(first.CountsAsAttempt);
        Assert.False(first.Unknown);
    }

    [Theory]
    [InlineData(0.0, 500)]
    [InlineData(0.5, 750)]
    [InlineData(0.999999, 1000)]
    public void The_backoff_jitters_within_the_upper_half_of_its_step(double jitter, int expectedMs)
    {
        Assert.Equal(expectedMs, _policy.Backoff(1, jitter).TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void The_backoff_never_exceeds_its_maximum()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), _policy.Backoff(40, 1));
    }

    [Fact]
    public void A_transient_reply_on_the_last_attempt_fails_the_email_and_says_how_many()
    {
        var fail = Assert.IsType<SendDecision.Fail>(Decide(Failed(ErrorCodes.InternalError, FailureClass.Transient), attempts: 4));

        Assert.Equal(ErrorCodes.InternalError, fail.Failure.Code);
        Assert.Contains("gave up after 5 attempts", fail.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reply_lost_after_DATA_is_retried_as_unknown()
    {
        var retry = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, unknown: true), attempts: 1));

        Assert.True(retry.Unknown);
        Assert.True(retry.CountsAsAttempt);
    }

    [Fact]
    public void A_reply_lost_after_DATA_on_the_last_attempt_fails_the_email_and_says_the_provider_may_have_it()
    {
        var lost = Assert.IsType<SendDecision.Fail>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, unknown: true), attempts: 4));
        var refused = Assert.IsType<SendDecision.Fail>(Decide(Failed(ErrorCodes.InternalError, FailureClass.Transient), attempts: 4));

        Assert.True(lost.Unknown);
        Assert.Contains("gave up after 5 attempts", lost.Failure.Message, StringComparison.Ordinal);
        Assert.False(refused.Unknown);
    }

    [Fact]
    public void A_connect_failure_uses_up_no_attempt_even_after_many_transactions()
    {
        var retry = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, notSent: true), attempts: 4));

        Assert.False(retry.CountsAsAttempt);
    }

    [Fact]
    public void Connect_retries_slow_down_as_the_outage_lasts()
    {
        var early = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, notSent: true),
            notSentSince: _clock.GetUtcNow(), jitter: 1));
        var later = Assert.IsType<SendDecision.RetryAfter>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, notSent: true),
            notSentSince: _clock.GetUtcNow() - TimeSpan.FromSeconds(60), jitter: 1));

        Assert.Equal(TimeSpan.FromSeconds(1), early.Delay);
        Assert.Equal(TimeSpan.FromSeconds(15), later.Delay);
    }

    [Fact]
    public void A_provider_unreachable_past_the_tolerance_parks_the_email_and_never_fails_it()
    {
        var since = _clock.GetUtcNow();
        _clock.Advance(TimeSpan.FromMinutes(3));

        var defer = Assert.IsType<SendDecision.DeferUntil>(Decide(Failed(ErrorCodes.NetworkError, FailureClass.Transient, notSent: true), attempts: 4, notSentSince: since));

        Assert.Equal(_clock.GetUtcNow() + SendPolicy.OutageDeferral, defer.Until);
    }

    [Fact]
    public void TemporaryBlocked_defers_ten_minutes_as_the_provider_says()
    {
        var defer = Assert.IsType<SendDecision.DeferUntil>(Decide(Failed(ErrorCodes.TemporaryBlocked, FailureClass.Transient)));

        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(10), defer.Until);
    }

    [Fact]
    public void FrequencyLimit_defers_the_email_to_the_providers_next_day_and_leaves_the_appIds_rate_alone()
    {
        // One recipient over its hourly cap is blocked until 00:00 the next day (SES FAQ); stepping the whole appId's
        // rate down, and returning every minute to be refused again, was what happened before.
        var decision = Decide(Failed(ErrorCodes.FrequencyLimit, FailureClassifier.Classify(ErrorCodes.FrequencyLimit)));

        var defer = Assert.IsType<SendDecision.DeferUntil>(decision);
        Assert.Equal(ProviderDay.NextStart(_clock.GetUtcNow()), defer.Until);
    }

    [Fact]
    public void TemporaryBlocked_on_the_last_attempt_fails()
    {
        Assert.IsType<SendDecision.Fail>(Decide(Failed(ErrorCodes.TemporaryBlocked, FailureClass.Transient), attempts: 4));
    }

    [Fact]
    public void The_daily_quota_pauses_the_whole_app_until_the_providers_next_day_whatever_the_attempts()
    {
        var pause = Assert.IsType<SendDecision.PauseApp>(Decide(Failed(ErrorCodes.ExceedSendLimit, FailureClass.Transient), attempts: 4));

        // 12:00 UTC is 20:00 in Beijing: the provider's next day starts at 16:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero), pause.Until);
    }

    [Fact]
    public void A_permanent_refusal_fails_at_once()
    {
        var fail = Assert.IsType<SendDecision.Fail>(Decide(Failed(ErrorCodes.IncorrectEmail, FailureClass.Permanent)));
        Assert.Equal(ErrorCodes.IncorrectEmail, fail.Failure.Code);
    }

    [Fact]
    public void The_providers_throttling_dead_letters_and_steps_the_rate_down()
    {
        var dead = Assert.IsType<SendDecision.DeadLetter>(Decide(Failed(ErrorCodes.SmtpRateLimit, FailureClass.RateLimited)));
        Assert.True(dead.StepDownRate);
    }

    [Fact]
    public void Oversize_dead_letters_without_touching_the_rate()
    {
        var dead = Assert.IsType<SendDecision.DeadLetter>(Decide(Failed(ErrorCodes.AttachContentToolarge, FailureClass.Oversize)));
        Assert.False(dead.StepDownRate);
    }
}
