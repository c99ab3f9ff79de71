namespace SesWorker.Core.Limiting;

/// <summary>
/// Estimates, for one appId, how long a step of the provider's takes, e.g. from MAIL FROM to its go-ahead for the
/// content (the 354 after MAIL, RCPT and DATA): a high estimate, the mean plus some mean deviations (four by default),
/// both moving averages, so a send started that long before its slot is ready at the slot nearly always.
/// Not thread-safe: callers lock.
/// </summary>
public sealed class LeadEstimator(TimeSpan initial, TimeSpan minimum, TimeSpan maximum, double deviations = 4)
{
    private const double Weight = 0.1;
    private double _meanMs;
    private double _deviationMs;
    private int _samples;

    public int Samples => _samples;

    public void Observe(TimeSpan sample)
    {
        var ms = Math.Max(0, sample.TotalMilliseconds);
        if (_samples++ == 0)
        {
            _meanMs = ms;
            _deviationMs = ms / 4;
            return;
        }

        _deviationMs += Weight * (Math.Abs(ms - _meanMs) - _deviationMs);
        _meanMs += Weight * (ms - _meanMs);
    }

    /// <summary>The lead to ask for: <c>initial</c> until the first sample, then the estimate within the bounds.</summary>
    public TimeSpan Estimate
    {
        get
        {
            if (_samples == 0)
                return initial;
            var ms = _meanMs + deviations * _deviationMs + 2;
            return TimeSpan.FromMilliseconds(Math.Clamp(ms, minimum.TotalMilliseconds, maximum.TotalMilliseconds));
        }
    }
}
