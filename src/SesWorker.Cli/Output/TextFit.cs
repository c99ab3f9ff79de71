using System.Text;

namespace SesWorker.Cli.Output;

/// <summary>Cuts text to a number of terminal cells, so one 999-character subject or 51 recipients stay on one line.</summary>
internal static class TextFit
{
    public static string Fit(string? text, int width)
    {
        if (width <= 0)
            return string.Empty;
        var value = Flatten(text ?? "-");
        if (Cells(value) <= width)
            return value + new string(' ', width - Cells(value));

        var builder = new StringBuilder(width);
        var used = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            var cells = Cells(rune);
            if (used + cells > width - 1)
                break;
            builder.Append(rune.ToString());
            used += cells;
        }

        builder.Append('…');
        used++;
        return builder.Append(' ', Math.Max(0, width - used)).ToString();
    }

    /// <summary>Control characters (a newline in a subject) would break the row.</summary>
    private static string Flatten(string text) =>
        text.AsSpan().IndexOfAny("\r\n\t") < 0 ? text : text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Replace("\t", " ", StringComparison.Ordinal);

    public static int Cells(string text)
    {
        var cells = 0;
        foreach (var rune in text.EnumerateRunes())
            cells += Cells(rune);
        return cells;
    }

    /// <summary>East Asian wide characters and most emoji take two cells.</summary>
    private static int Cells(Rune rune) => rune.Value switch
    {
        >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3 or >= 0xF900 and <= 0xFAFF
            or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 or >= 0x1F300 and <= 0x1FAFF
            or >= 0x20000 and <= 0x3FFFD => 2,
        _ => 1,
    };
}
