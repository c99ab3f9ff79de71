using System.Buffers.Text;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// Base64 as it stands inside a JSON string in a message body: possibly with escapes (System.Text.Json writes '+' as
/// \u002B; some encoders write '/' as \/). Read through a few kilobytes at a time, so an attachment is never copied
/// whole to undo them.
/// </summary>
public static class JsonBase64
{
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
            var b = input[position];
            if (b != '\\')
            {
                output[written++] = b;
                position++;
                continue;
            }

            if (position + 1 >= input.Length)
                return -1;
            switch (input[position + 1])
            {
                case (byte)'u' when position + 6 <= input.Length
                    && Utf8Parser.TryParse(input.Slice(position + 2, 4), out ushort code, out var used, 'x') && used == 4 && code < 0x80:
                    output[written++] = (byte)code;
                    position += 6;
                    break;
                case (byte)'/' or (byte)'\\' or (byte)'"':
                    output[written++] = input[position + 1];
                    position += 2;
                    break;
                case (byte)'n' or (byte)'r' or (byte)'t':
                    output[written++] = (byte)' ';
                    position += 2;
                    break;
                default:
                    return -1;
            }
        }

        return written;
    }

    /// <summary>
    /// Whether the (possibly escaped) text is base64 (whitespace allowed, '=' padding only at the end), and the length it
    /// decodes to; the same verdict as <see cref="Base64.IsValid(ReadOnlySpan{byte}, out int)"/> on the unescaped text.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> escaped, out int decodedLength)
    {
        decodedLength = 0;
        Span<byte> chunk = stackalloc byte[1024];
        long significant = 0;
        var padding = 0;
        var position = 0;
        while (position < escaped.Length)
        {
            var n = Unescape(escaped, ref position, chunk);
            if (n < 0)
                return false;
            foreach (var c in chunk[..n])
            {
                if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                    continue;
                if (c == '=')
                {
                    if (++padding > 2)
                        return false;
                    continue;
                }

                if (padding > 0 || !(c is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9' or (byte)'+' or (byte)'/'))
                    return false;
                significant++;
            }
        }

        if ((significant + padding) % 4 != 0)
            return false;
        decodedLength = (int)(significant * 6 / 8);
        return true;
    }
}
