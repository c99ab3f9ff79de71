namespace SesWorker.Core.Limiting;

/// <summary>
/// The provider's per-recipient cap (the SES SMTP guide: 10 mails per hour from one sender to one recipient) as an
/// exact sliding log: the timestamps of the sends within the window are kept, so the cap holds for every
/// hour, not just for aligned ones.
/// </summary>
public static class RecipientWindow
{
    /// <summary>Returns null when one more send fits; otherwise the time at which it will.</summary>
    public static DateTimeOffset? NextFree(IEnumerable<DateTimeOffset> sends, DateTimeOffset now, int cap, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(sends);
        var recent = sends.Where(s => s > now - window).Order().ToList();
        if (recent.Count < cap)
            return null;
        // The send that must leave the window before one more fits.
        return recent[recent.Count - cap] + window;
    }
}
