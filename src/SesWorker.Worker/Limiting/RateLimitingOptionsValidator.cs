using System.Globalization;
using Microsoft.Extensions.Options;
using SesWorker.Core.Limiting;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// Fails the start on a rate the limiter cannot keep: not a positive number (an override of 0, a negative one, NaN
/// threw on every send of that appId), or one whose slots leave no room for the way to the provider. The provider
/// allows floor(rate) calls in any second; that many slots must span more than a second (the tolerance), which a
/// fractional rate whose fraction is larger than the safety margin does not (19.9/s at 2.5%: 19 slots in 979 ms), and
/// no margin at all leaves nothing: every send then went on to excuse itself, in a loop of database statements.
/// </summary>
internal sealed class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitingOptions options)
    {
        var errors = new List<string>();
        Check($"{RateLimitingOptions.SectionName}:RatePerSecond", options.RatePerSecond, options.SafetyMargin, errors);
        foreach (var (appId, rate) in options.Overrides)
            Check($"{RateLimitingOptions.SectionName}:Overrides:{appId}", rate, options.SafetyMargin, errors);
        var needed = options.MaxHold + options.MaxLead + options.MaxWait + RateLimitingOptions.ConnectionAllowance;
        if (options.RecipientCapEnabled && options.RecipientWindowMargin < needed)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{RateLimitingOptions.SectionName}:RecipientWindowMargin = {options.RecipientWindowMargin}: a mail is counted against its recipient when it is checked and by the provider at its end of DATA, up to MaxHold + MaxLead + MaxWait + {RateLimitingOptions.ConnectionAllowance.TotalMinutes:F0} min for the connection later ({needed}); a smaller margin lets an 11th mail in an hour through (FailedOperation.FrequencyLimit: the recipient blocked until 00:00). Set it to at least {needed}."));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check(string key, double rate, double margin, List<string> errors)
    {
        var text = rate.ToString(CultureInfo.InvariantCulture);
        if (!double.IsFinite(rate) || rate <= 0 || rate > 10_000)
        {
            errors.Add($"{key} = {text}: a rate is a number of sends per second above 0 and at most 10000.");
            return;
        }

        if (margin is < 0 or >= 1)
            return; // The margin's own range check reports it.
        var tolerance = RateLimitingOptions.Tolerance(rate, margin);
        if (tolerance < TimeSpan.FromMilliseconds(1))
        {
            var calls = RateLimitingOptions.CallsPerSecond(rate);
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"{key} = {text}: with a safety margin of {margin:P1} the provider's {calls} calls in a second would be spaced over {(Gcra.Interval(rate, margin) * calls).TotalMilliseconds:F1} ms, not a millisecond more than a second, leaving no room for the way to the provider. Use a whole rate ({calls} or {calls + 1}), or a larger Ses:RateLimiting:SafetyMargin."));
        }
    }
}
