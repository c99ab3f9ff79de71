using System.Globalization;

namespace SesWorker.Cli.Output;

/// <summary>Times as operators type them: "15m", "2h", "7d" ago, or an ISO date/time (UTC unless it says otherwise).</summary>
internal static class TimeArgument
{
    public static DateTimeOffset? Parse(string? text, DateTimeOffset now, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (TryDuration(text, out var ago))
            return now - ago;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            return time;
        throw new CliException($"{option} '{text}' is neither a duration (30s, 15m, 2h, 7d) nor a date/time (2026-11-26T10:00Z)");
    }

    public static TimeSpan Duration(string text, string option) =>
        TryDuration(text, out var span) && span > TimeSpan.Zero ? span : throw new CliException($"{option} '{text}' is not a duration such as 30s, 15m, 2h or 90d");

    private static bool TryDuration(string text, out TimeSpan span)
    {
        span = default;
        var value = text.Trim();
        if (value.Length < 2 || !double.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
            return false;
        span = char.ToLowerInvariant(value[^1]) switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            'w' => TimeSpan.FromDays(amount * 7),
            _ => TimeSpan.MinValue,
        };
        return span != TimeSpan.MinValue;
    }
}
