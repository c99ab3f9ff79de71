namespace SesWorker.SmtpSimulator.Rules;

/// <summary>
/// The provider's sending frequency limits ("SMTP Sending Frequency" in the SES SMTP guide, and the SES FAQ): calls
/// per second per appId and mails per hour from one sender to one recipient.
/// </summary>
internal sealed class TrafficLimits(SimulatorOptions options)
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    // The provider's day starts at 00:00 Beijing time (UTC+8); that is when a blocked recipient is released.
    private static readonly TimeSpan ProviderOffset = TimeSpan.FromHours(8);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RecipientWindow> pairs = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset nextSweep = DateTimeOffset.MinValue;

    /// <summary>
    /// Counts one call that reached the end of DATA. Every call counts, refused ones included, as a gateway counts
    /// requests: the window is sliding, so at most the limit of calls fall in any one second.
    /// </summary>
    public Verdict? CountCall(string appId, DateTimeOffset now)
    {
        var limit = options.RatePerSecondPerAppId;
        if (limit <= 0)
        {
            return null;
        }

        lock (gate)
        {
            if (!calls.TryGetValue(appId, out var window))
            {
                calls[appId] = window = new Queue<DateTimeOffset>();
            }

            while (window.Count > 0 && window.Peek() <= now - Second)
            {
                window.Dequeue();
            }

            var limited = window.Count >= limit;
            window.Enqueue(now);
            return limited ? ProviderReplies.Business("RequestLimitExceeded.SmtpRateLimit", "smtp sending frequency limit") : null;
        }
    }

    /// <summary>
    /// Admits the mail if no recipient has had the hourly number of mails from this sender, and counts it. Past the
    /// cap the pair stays blocked until the provider's next midnight (the SES FAQ).
    /// </summary>
    public Verdict? CountRecipients(string sender, IReadOnlyList<string> recipients, DateTimeOffset now)
    {
        var limit = options.PerRecipientPerHour;
        if (limit <= 0)
        {
            return null;
        }

        var keys = recipients.Select(r => sender + "\n" + r).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        lock (gate)
        {
            Sweep(now);
            foreach (var key in keys)
            {
                if (pairs.TryGetValue(key, out var window) && window.IsBlocked(now, limit))
                {
                    return ProviderReplies.Business(
                        "FailedOperation.FrequencyLimit", "You have sent too many emails to the same address in a short period.");
                }
            }

            foreach (var key in keys)
            {
                if (!pairs.TryGetValue(key, out var window))
                {
                    pairs[key] = window = new RecipientWindow();
                }

                window.Sent.Enqueue(now);
            }

            return null;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            calls.Clear();
            pairs.Clear();
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        // Without this a long benchmark with unique recipients would keep every pair it ever saw.
        if (now < nextSweep)
        {
            return;
        }

        nextSweep = now + TimeSpan.FromMinutes(1);
        foreach (var (key, window) in pairs)
        {
            if (window.BlockedUntil <= now && (window.Sent.Count == 0 || window.Sent.Last() <= now - Hour))
            {
                pairs.Remove(key);
            }
        }
    }

    private sealed class RecipientWindow
    {
        public Queue<DateTimeOffset> Sent { get; } = new();

        public DateTimeOffset BlockedUntil { get; private set; } = DateTimeOffset.MinValue;

        public bool IsBlocked(DateTimeOffset now, int limit)
        {
            if (now < BlockedUntil)
            {
                return true;
            }

            while (Sent.Count > 0 && Sent.Peek() <= now - Hour)
            {
                Sent.Dequeue();
            }

            if (Sent.Count < limit)
            {
                return false;
            }

            var local = now.ToOffset(ProviderOffset);
            BlockedUntil = new DateTimeOffset(local.Date.AddDays(1), ProviderOffset);
            return true;
        }
    }
}
