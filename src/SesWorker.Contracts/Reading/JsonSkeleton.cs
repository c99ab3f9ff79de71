using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// A large body's JSON with its long string values cut out (each left as <c>""</c>), for <see cref="JsonDocument"/> to
/// parse; the values themselves are read from the body where they stand. Two costs of a body with attachments go with
/// them: <see cref="JsonDocument"/> rents an array the size of any body over 4 MB for its index of the values (16 MiB
/// for a 10 MB body, kept by the shared array pool afterwards), and it checks every escaped string a byte at a time
/// (System.Text.Json writes each '+' of base64 as \u002B, so every attachment is escaped): 18% of a worker's CPU while
/// it sent 7.6 MB attachments. Here a string is walked with the vectorized span searches, from one quote, backslash or
/// control character to the next. Whatever this walk cannot vouch for (a bad escape, a raw control character, an
/// unterminated string or comment) makes no skeleton: the caller parses the body itself, and reports what
/// System.Text.Json reports.
/// </summary>
internal sealed class JsonSkeleton : IDisposable
{
    /// <summary>A value shorter than this stays in the skeleton: cutting it would save nothing.</summary>
    private const int MinimumCutLength = 1024;

    /// <summary>The end of a run inside a string: a quote, a backslash, or a character JSON forbids there.</summary>
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(c => (byte)c)]);

    private static readonly SearchValues<byte> Structure = SearchValues.Create("\"/"u8);

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    private readonly ReadOnlyMemory<byte> body;
    private readonly Dictionary<int, Range> cuts;
    private byte[] buffer;

    private JsonSkeleton(ReadOnlyMemory<byte> body, byte[] buffer, int length, Dictionary<int, Range> cuts)
    {
        this.body = body;
        this.buffer = buffer;
        this.cuts = cuts;
        Json = buffer.AsMemory(0, length);
    }

    /// <summary>The skeleton: valid JSON exactly where the body is, with every cut value empty.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    public int CutCount => cuts.Count;

    /// <summary>The skeleton of <paramref name="body"/>, or null when nothing is long enough to cut or the walk cannot vouch for the body.</summary>
    public static JsonSkeleton? TryCreate(ReadOnlyMemory<byte> body)
    {
        var json = body.Span;
        var output = ArrayPool<byte>.Shared.Rent(Math.Clamp(json.Length / 16, 1024, 64 * 1024));
        var written = 0;
        var copied = 0;
        var cuts = new Dictionary<int, Range>();
        var position = 0;
        while (true)
        {
            var next = json[position..].IndexOfAny(Structure);
            if (next < 0)
                break;
            position += next;
            if (json[position] == '/')
            {
                if (!TrySkipComment(json, ref position))
                    return Abandon(output);
                continue;
            }

            var start = position;
            if (!TrySkipString(json, ref position))
                return Abandon(output);
            if (position - start < MinimumCutLength || IsPropertyName(json, position))
                continue;

            Append(ref output, ref written, json[copied..start]);
            cuts.Add(written, start..position);
            Append(ref output, ref written, "\"\""u8);
            copied = position;
        }

        if (cuts.Count == 0)
            return Abandon(output);
        Append(ref output, ref written, json[copied..]);
        // Many strings just under the cut: parsing the body itself costs no more.
        if (written > json.Length / 2)
            return Abandon(output);
        return new JsonSkeleton(body, output, written, cuts);
    }

    /// <summary>The value in the body (quotes included) that a string element of the skeleton's document stands for, if it was cut.</summary>
    public bool TryGetCut(JsonElement element, out ReadOnlyMemory<byte> value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.String)
            return false;
        var raw = JsonMarshal.GetRawUtf8Value(element);
        var offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(Json.Span), ref MemoryMarshal.GetReference(raw));
        if (offset < 0 || offset >= Json.Length || !cuts.TryGetValue((int)offset, out var range))
            return false;
        value = body[range];
        return true;
    }

    /// <summary>A reader on a cut value's string token: read as <see cref="JsonElement.GetString"/> reads it (and throwing as it does for invalid UTF-8).</summary>
    public static Utf8JsonReader Reader(ReadOnlyMemory<byte> value)
    {
        var reader = new Utf8JsonReader(value.Span);
        reader.Read();
        return reader;
    }

    /// <summary>The start of a cut value as text, enough for a message that quotes it clipped.</summary>
    public static string Start(ReadOnlyMemory<byte> value) => Encoding.UTF8.GetString(value.Span[..Math.Min(value.Length, 256)]);

    public void Dispose()
    {
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }

    private static JsonSkeleton? Abandon(byte[] output)
    {
        ArrayPool<byte>.Shared.Return(output);
        return null;
    }

    /// <summary>From the opening quote to just past the closing one; false where System.Text.Json would refuse the string.</summary>
    private static bool TrySkipString(ReadOnlySpan<byte> json, ref int position)
    {
        position++;
        while (true)
        {
            var stop = json[position..].IndexOfAny(StringStops);
            if (stop < 0)
                return false;
            position += stop;
            switch (json[position])
            {
                case (byte)'"':
                    position++;
                    return true;
                case (byte)'\\':
                    if (position + 1 >= json.Length)
                        return false;
                    switch (json[position + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            position += 2;
                            break;
                        case (byte)'u' when position + 6 <= json.Length && IsHex(json.Slice(position + 2, 4)):
                            position += 6;
                            break;
                        default:
                            return false;
                    }

                    break;
                default:
                    return false;
            }
        }
    }

    private static bool IsHex(ReadOnlySpan<byte> digits) => digits.IndexOfAnyExcept(HexDigits) < 0;

    /// <summary>A comment as System.Text.Json skips it (the reader allows them); false for a slash that starts none, or one never closed.</summary>
    private static bool TrySkipComment(ReadOnlySpan<byte> json, ref int position)
    {
        if (position + 1 >= json.Length)
            return false;
        var rest = json[(position + 2)..];
        switch (json[position + 1])
        {
            case (byte)'/':
                var end = rest.IndexOfAny((byte)'\n', (byte)'\r');
                position = end < 0 ? json.Length : position + 2 + end;
                return true;
            case (byte)'*':
                var close = rest.IndexOf("*/"u8);
                if (close < 0)
                    return false;
                position += 2 + close + 2;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Whether the string that ended just before <paramref name="position"/> is a property's name (names are never cut: metadata keys are read).</summary>
    private static bool IsPropertyName(ReadOnlySpan<byte> json, int position)
    {
        var next = json[position..].IndexOfAnyExcept(" \t\r\n"u8);
        // A comment between a name and its colon: keep the string rather than look further.
        return next >= 0 && json[position + next] is (byte)':' or (byte)'/';
    }

    private static void Append(ref byte[] output, ref int written, ReadOnlySpan<byte> bytes)
    {
        if (written + bytes.Length > output.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(output.Length * 2, written + bytes.Length));
            output.AsSpan(0, written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(output);
            output = larger;
        }

        bytes.CopyTo(output.AsSpan(written));
        written += bytes.Length;
    }
}
