using System.Buffers;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// Base64 as it stands inside a JSON string in a message body: possibly with escapes (System.Text.Json writes '+' as
/// \u002B; some encoders write '/' as \/). Read through a few kilobytes at a time, so an attachment is never copied
/// whole to undo them. Runs without an escape are found and copied with the vectorized span searches: a loop over every
/// byte was a third of a worker's CPU while it sent 7.6 MB attachments.
/// </summary>
public static class JsonBase64
{
    private static readonly SearchValues<byte> Alphabet = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    /// <summary>
    /// Copies unescaped bytes from <paramref name="input"/> at <paramref name="position"/> into <paramref name="output"/>
    /// until it is full or the input ends; returns how many were written, or -1 for an escape that is not an ASCII
    /// character (not base64 anyway). An escape is never split between two calls.
    /// </summary>
    public static int Unescape(ReadOnlySpan<byte> input, ref int position, Span<byte> output)
    {
        var written = 0;
        while (position < input.Length && written < output.Length)
        {
            var run = input.Slice(position, Math.Min(input.Length - position, output.Length - written));
            var plain = run.IndexOf((byte)'\\');
            if (plain != 0)
            {
                if (plain < 0)
                    plain = run.Length;
                run[..plain].CopyTo(output[written..]);
                written += plain;
                position += plain;
                continue;
            }

            if (!TryUnescape(input, position, out var value, out var used))
                return -1;
            output[written++] = value;
            position += used;
        }

        return written;
    }

    /// <summary>
    /// Whether the (possibly escaped) text is base64 (whitespace allowed, '=' padding only at the end), and the length it
    /// decodes to; the same verdict as <see cref="Convert.TryFromBase64String"/> on the unescaped text (bits past the
    /// last byte ignored, as MimeKit's decoder and <c>Base64ContentStream</c> do).
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> escaped, out int decodedLength)
    {
        decodedLength = 0;
        long significant = 0;
        var padding = 0;
        var position = 0;
        while (position < escaped.Length)
        {
            var plain = escaped[position..].IndexOfAnyExcept(Alphabet);
            if (plain != 0)
            {
                if (padding > 0)
                    return false;
                if (plain < 0)
                    plain = escaped.Length - position;
                significant += plain;
                position += plain;
                continue;
            }

            var c = escaped[position];
            if (c == '\\')
            {
                if (!TryUnescape(escaped, position, out c, out var used))
                    return false;
                position += used;
            }
            else
            {
                position++;
            }

            if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                continue;
            if (c == '=')
            {
                if (++padding > 2)
                    return false;
                continue;
            }

            if (padding > 0 || !Alphabet.Contains(c))
                return false;
            significant++;
        }

        if ((significant + padding) % 4 != 0)
            return false;
        decodedLength = (int)(significant * 6 / 8);
        return true;
    }

    /// <summary>
    /// The character of a \u escape's four hex digits if it is ASCII, else -1. By hand: a general hex parser for every
    /// '+' of an attachment (System.Text.Json writes each as \u002B) was 2% of a large send's CPU, and .NET's
    /// <c>Convert.FromHexString</c> costs more too (<see cref="IsValid"/> over 10 MB of escaped base64: 10.8 ms, 7.3 here).
    /// </summary>
    private static int AsciiEscape(ReadOnlySpan<byte> digits)
    {
        if (digits[0] != '0' || digits[1] != '0')
            return -1;
        var high = Hex(digits[2]);
        var low = Hex(digits[3]);
        return high is < 0 or > 7 || low < 0 ? -1 : (high << 4) | low;
    }

    private static int Hex(byte digit) => digit switch
    {
        >= (byte)'0' and <= (byte)'9' => digit - '0',
        >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
        _ => -1,
    };

    /// <summary>The escape at <paramref name="position"/> (a backslash): the ASCII byte it stands for and its length.</summary>
    private static bool TryUnescape(ReadOnlySpan<byte> input, int position, out byte value, out int used)
    {
        value = 0;
        used = 0;
        if (position + 1 >= input.Length)
            return false;
        switch (input[position + 1])
        {
            case (byte)'u' when position + 6 <= input.Length && AsciiEscape(input.Slice(position + 2, 4)) is >= 0 and var code:
                value = (byte)code;
                used = 6;
                return true;
            case (byte)'/' or (byte)'\\' or (byte)'"':
                value = input[position + 1];
                used = 2;
                return true;
            case (byte)'n' or (byte)'r' or (byte)'t':
                value = (byte)' ';
                used = 2;
                return true;
            default:
                return false;
        }
    }
}
