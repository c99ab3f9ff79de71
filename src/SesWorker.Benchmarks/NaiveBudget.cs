using System.Globalization;

namespace SesWorker.Benchmarks;

/// <summary>
/// How long the naive sender runs: <c>--naive N</c> sends N messages, stopping at <see cref="MessageCap"/> if that
/// comes first (at 100 ms a reply one message takes about a second); <c>--naive 30s</c> sends for 30 s; 0 skips it.
/// </summary>
internal sealed record NaiveBudget(int? Messages, TimeSpan Duration)
{
    public static readonly TimeSpan MessageCap = TimeSpan.FromSeconds(60);

    public static NaiveBudget Default { get; } = new(200, MessageCap);

    public bool Skipped => Messages == 0 || Duration <= TimeSpan.Zero;

    /// <exception cref="FormatException">Neither a whole number nor whole seconds such as <c>30s</c>.</exception>
    public static NaiveBudget Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.EndsWith('s') && int.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return new NaiveBudget(null, TimeSpan.FromSeconds(seconds));
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var messages))
            return new NaiveBudget(messages, MessageCap);
        throw new FormatException($"--naive needs a message count (200) or seconds (30s), not '{value}'");
    }

    public override string ToString() =>
        Skipped ? "skipped"
        : Messages is { } messages ? string.Create(CultureInfo.InvariantCulture, $"{messages} messages or {Duration.TotalSeconds:F0} s, whichever comes first")
        : string.Create(CultureInfo.InvariantCulture, $"{Duration.TotalSeconds:F0} s");
}
