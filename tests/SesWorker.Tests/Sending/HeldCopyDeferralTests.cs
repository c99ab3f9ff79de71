using System.Globalization;
using SesWorker.Core.Sending;
using SesWorker.Worker.Sending;

namespace SesWorker.Tests.Sending;

/// <summary>
/// When a copy that claimed its email goes round again instead of sending (<see cref="EmailSendHandler.NotBefore"/>): a
/// copy that waited in the held queue while the first copy was parked for a retry or a deferral must wait for that time
/// too, or it sends a second after the provider asked for minutes.
/// </summary>
public sealed class HeldCopyDeferralTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_held_copy_that_claims_an_email_deferred_for_ten_minutes_waits_until_then()
    {
        var due = Now.AddMinutes(10);

        Assert.Equal(due, EmailSendHandler.NotBefore(ErrorCodes.HeldElsewhere, Header(Now.AddSeconds(1)), due, Now));
    }

    [Fact]
    public void A_held_copy_that_claims_an_email_retrying_after_a_backoff_waits_for_the_backoff()
    {
        var due = Now.AddSeconds(5);

        Assert.Equal(due, EmailSendHandler.NotBefore(ErrorCodes.HeldElsewhere, null, due, Now));
    }

    [Fact]
    public void A_held_copy_sends_once_the_owner_is_done_or_gone_and_nothing_is_due_later()
    {
        Assert.Null(EmailSendHandler.NotBefore(ErrorCodes.HeldElsewhere, Header(Now.AddSeconds(8)), null, Now));
        Assert.Null(EmailSendHandler.NotBefore(ErrorCodes.HeldElsewhere, null, Now.AddMilliseconds(500), Now));
        Assert.Null(EmailSendHandler.NotBefore(ErrorCodes.HeldElsewhere, null, Now.AddMinutes(-1), Now));
    }

    [Fact]
    public void A_parked_copy_back_early_goes_round_again_and_one_on_time_sends()
    {
        var due = Now.AddSeconds(20);

        Assert.Equal(due, EmailSendHandler.NotBefore(ErrorCodes.TemporaryBlocked, Header(due), due, Now));
        Assert.Null(EmailSendHandler.NotBefore(ErrorCodes.TemporaryBlocked, Header(Now.AddMilliseconds(300)), Now.AddMilliseconds(300), Now));
    }

    [Fact]
    public void Any_other_copy_of_an_email_parked_until_later_waits_too()
    {
        // A producer's second copy, or the first one redelivered, that finds the email retrying.
        var due = Now.AddSeconds(30);

        Assert.Equal(due, EmailSendHandler.NotBefore(ErrorCodes.RecipientHourlyCap, null, due, Now));
    }

    private static string Header(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);
}
