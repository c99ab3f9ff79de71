using System.Globalization;

namespace SesWorker.SmtpSimulator.Latency;

/// <summary>
/// How long one reply takes: <see cref="Base"/> plus a uniform jitter of up to <see cref="Jitter"/> either way (never
/// below zero), except a fraction <see cref="TailFraction"/> of replies that take <see cref="TailDelay"/> instead.
/// Written <c>0</c>, <c>100ms</c>, <c>100ms±30ms</c> (or <c>100ms+-30ms</c>), <c>1%@2s</c>, or a base and a tail
/// separated by a comma: <c>100ms±30ms,1%@2s</c>.
/// </summary>
public sealed record ReplyLatency
{
    public static ReplyLatency None { get; } = new();

    public TimeSpan Base { get; init; }

    public TimeSpan Jitter { get; init; }

    /// <summary>Between 0 and 1.</summary>
    public double TailFraction { get; init; }

    public TimeSpan TailDelay { get; init; }

    public bool IsZero => Base == TimeSpan.Zero && Jitter == TimeSpan.Zero && (TailFraction == 0 || TailDelay == TimeSpan.Zero);

    public static ReplyLatency Fixed(TimeSpan delay) => new() { Base = delay };

    public static ReplyLatency Uniform(TimeSpan center, TimeSpan jitter) => new() { Base = center, Jitter = jitter };

    /// <summary>Parses the syntax above; throws <see cref="FormatException"/> with the reason.</summary>
    public static ReplyLatency Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var latency = None;
        bool hasBase = false, hasTail = false;
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var at = term.IndexOf('@', StringComparison.Ordinal);
            if (at >= 0)
            {
                if (hasTail || !term[..at].EndsWith('%'))
                {
                    throw new FormatException($"'{text}': a tail is written once, as PERCENT%@DURATION (e.g. 1%@2s)");
                }

                var percent = ParseNumber(term[..(at - 1)], text);
                if (percent is < 0 or > 100)
                {
                    throw new FormatException($"'{text}': the tail's percentage must be between 0 and 100");
                }

                latency = latency with { TailFraction = percent / 100, TailDelay = ParseDuration(term[(at + 1)..], text) };
                hasTail = true;
                continue;
            }

            if (hasBase)
            {
                throw new FormatException($"'{text}': at most one base delay (e.g. 100ms±30ms) and one tail (e.g. 1%@2s)");
            }

            var parts = term.Split(["±", "+-"], 2, StringSplitOptions.TrimEntries);
            latency = latency with
            {
                Base = ParseDuration(parts[0], text),
                Jitter = parts.Length == 2 ? ParseDuration(parts[1], text) : TimeSpan.Zero,
            };
            hasBase = true;
        }

        return latency;
    }

    /// <summary>One reply's delay.</summary>
    public TimeSpan Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (TailFraction > 0 && random.NextDouble() < TailFraction)
        {
            return TailDelay;
        }

        if (Jitter == TimeSpan.Zero)
        {
            return Base;
        }

        var offset = ((random.NextDouble() * 2) - 1) * Jitter.TotalMilliseconds;
        return TimeSpan.FromMilliseconds(Math.Max(0, Base.TotalMilliseconds + offset));
    }

    /// <summary>The same syntax <see cref="Parse"/> reads.</summary>
    public override string ToString()
    {
        if (IsZero)
        {
            return "0";
        }

        var text = Jitter == TimeSpan.Zero ? Format(Base) : $"{Format(Base)}±{Format(Jitter)}";
        return TailFraction > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{text},{TailFraction * 100:0.###}%@{Format(TailDelay)}")
            : text;
    }

    /// <summary><c>0</c>, <c>250ms</c>, <c>1.5s</c>; <paramref name="whole"/> is named in the error.</summary>
    internal static TimeSpan ParseDuration(string text, string whole)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : throw new FormatException($"'{whole}': '{text}' needs a unit, ms or s (e.g. 100ms)");
        var value = ParseNumber(number, whole);
        return value < 0 ? throw new FormatException($"'{whole}': durations are not negative") : TimeSpan.FromMilliseconds(value * scale);
    }

    private static double ParseNumber(string text, string whole) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{whole}': '{text}' is not a number");

    private static string Format(TimeSpan value) =>
        value == TimeSpan.Zero ? "0"
        : value.TotalMilliseconds % 1000 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0}s")
        : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms");
}
