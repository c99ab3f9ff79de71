using System.Text;
using System.Text.Json;
using SesWorker.Contracts.Reading;

namespace SesWorker.Tests.Contracts;

/// <summary>
/// <see cref="JsonBase64"/> against plain references: the escapes undone one byte at a time, then .NET's
/// <see cref="Convert.TryFromBase64String"/> (whitespace anywhere; the bits past the last byte ignored, as MimeKit and
/// the worker's <c>Base64ContentStream</c> do), over random texts made of the pieces producers write.
/// </summary>
public sealed class JsonBase64Tests
{
    private static readonly string[] Pieces =
    [
        "QUJD", "ZGVm", "Z2hp", "a2xt", "bm9w", "cXJz", "dHV2", "d3h5", "ejAx", "MjM0", "NTY3", "ODkr", "Lw==", "QQ==", "QUI=",
        "A", "b", "9", "+", "/", "=", " ", "\r\n", "\t", @"\u002B", @"\u002b", @"\/", @"\n", @"\r", @"\t", @"\u0041", @"\\",
        @"\u00e9", @"\x", "!", "-", "_", @"\u00", "\\",
    ];

    [Fact]
    public void IsValid_gives_the_verdict_and_length_of_Convert_on_the_unescaped_text()
    {
        var random = new Random(7);
        var valid = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = Encoding.ASCII.GetBytes(RandomText(random, i % 3 == 0));
            var referenceLength = 0;
            var reference = Reference(text) is { } plain
                && Convert.TryFromBase64String(Encoding.ASCII.GetString(plain), new byte[plain.Length], out referenceLength);

            var verdict = JsonBase64.IsValid(text, out var length);

            Assert.True(reference == verdict, $"'{Encoding.ASCII.GetString(text)}': expected {reference}, was {verdict}");
            Assert.Equal(referenceLength, length);
            valid += verdict ? 1 : 0;
        }

        // Both verdicts came up often enough for the comparison to mean something.
        Assert.InRange(valid, 2_000, 18_000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(4096)]
    public void Unescape_in_pieces_of_any_size_gives_the_text_unescaped_whole(int outputSize)
    {
        var random = new Random(outputSize);
        for (var i = 0; i < 2_000; i++)
        {
            var text = Encoding.ASCII.GetBytes(RandomText(random, onlyAscii: true));
            var whole = new List<byte>();
            var output = new byte[outputSize];
            var position = 0;
            while (position < text.Length)
            {
                var n = JsonBase64.Unescape(text, ref position, output);
                Assert.True(n > 0, $"'{Encoding.ASCII.GetString(text)}' stopped at {position}");
                whole.AddRange(output.AsSpan(0, n).ToArray());
            }

            Assert.Equal(Reference(text), whole.ToArray());
        }
    }

    [Theory]
    [InlineData(@"QQ\u00e9")]
    [InlineData(@"QQ\x")]
    [InlineData(@"QQ\")]
    [InlineData(@"QQ\u00")]
    public void Unescape_refuses_an_escape_that_is_not_an_ASCII_character(string text)
    {
        var position = 0;
        var output = new byte[16];
        var bytes = Encoding.ASCII.GetBytes(text);

        var n = JsonBase64.Unescape(bytes, ref position, output);
        if (n > 0)
            n = JsonBase64.Unescape(bytes, ref position, output);

        Assert.Equal(-1, n);
    }

    [Fact]
    public void A_file_as_System_Text_Json_writes_it_is_valid_with_its_length()
    {
        var file = new byte[100_003];
        new Random(3).NextBytes(file);
        var json = JsonSerializer.Serialize(Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks));
        var escaped = Encoding.ASCII.GetBytes(json[1..^1]);
        Assert.Contains((byte)'\\', escaped);

        Assert.True(JsonBase64.IsValid(escaped, out var length));
        Assert.Equal(file.Length, length);
    }

    private static string RandomText(Random random, bool onlyAscii)
    {
        var text = new StringBuilder();
        var count = random.Next(0, 12);
        for (var i = 0; i < count; i++)
        {
            var piece = Pieces[random.Next(random.Next(2) == 0 ? 15 : Pieces.Length)];
            if (onlyAscii && piece is @"\u00e9" or @"\x" or @"\u00" or "\\")
                continue;
            text.Append(piece);
        }

        return text.ToString();
    }

    /// <summary>The escapes undone a byte at a time (whitespace escapes as a space); null where one is not ASCII.</summary>
    private static byte[]? Reference(byte[] text)
    {
        var plain = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                plain.Add(text[i]);
                continue;
            }

            if (i + 1 >= text.Length)
                return null;
            var next = (char)text[i + 1];
            if (next == 'u')
            {
                if (i + 6 > text.Length || !ushort.TryParse(Encoding.ASCII.GetString(text, i + 2, 4), System.Globalization.NumberStyles.HexNumber, null, out var code)
                    || code >= 0x80)
                    return null;
                plain.Add((byte)code);
                i += 5;
            }
            else if (next is '/' or '\\' or '"')
            {
                plain.Add((byte)next);
                i++;
            }
            else if (next is 'n' or 'r' or 't')
            {
                plain.Add((byte)' ');
                i++;
            }
            else
            {
                return null;
            }
        }

        return [.. plain];
    }
}
