using System.Text;
using SesWorker.Core.Mime;

namespace SesWorker.Tests.Mime;

public sealed class Base64ContentStreamTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4095)]
    [InlineData(100_001)]
    public void Decodes_what_Convert_decodes_and_again_after_a_rewind(int size)
    {
        var file = new byte[size];
        new Random(size).NextBytes(file);
        var base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks));

        using var stream = new Base64ContentStream(base64);

        Assert.Equal(size, stream.Length);
        Assert.Equal(file, ReadAll(stream, 1000));
        stream.Position = 0;
        Assert.Equal(file, ReadAll(stream, 4096));
    }

    [Fact]
    public void Undoes_json_escapes_while_it_decodes()
    {
        var file = new byte[50_000];
        new Random(7).NextBytes(file);
        var escaped = Convert.ToBase64String(file).Replace("+", "\\u002B", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal);

        using var stream = new Base64ContentStream(Encoding.ASCII.GetBytes(escaped));

        Assert.Equal(file.Length, stream.Length);
        Assert.Equal(file, ReadAll(stream, 777));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(100_002)]
    public void Read_through_first_it_knows_its_length_from_what_it_decoded(int size)
    {
        var file = new byte[size];
        new Random(size).NextBytes(file);
        var escaped = Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks).Replace("+", "\\u002B", StringComparison.Ordinal);

        using var stream = new Base64ContentStream(Encoding.ASCII.GetBytes(escaped));

        // The composer writes the message (reading each attachment through) before it asks for the length.
        Assert.Equal(file, ReadAll(stream, 1000));
        Assert.Equal(size, stream.Length);
        stream.Position = 0;
        Assert.Equal(file, ReadAll(stream, 333));
        Assert.Equal(size, stream.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3071)]
    [InlineData(3072)]
    [InlineData(12_289)]
    [InlineData(100_003)]
    public void Decodes_a_file_as_System_Text_Json_writes_it_with_whitespace_anywhere(int size)
    {
        var file = new byte[size];
        var random = new Random(size);
        random.NextBytes(file);
        // Line breaks escaped (\r\n), '+' as \u002B, and runs of raw whitespace at random places, so blocks and escapes
        // fall across the stream's 4 KB chunks every way.
        var json = System.Text.Json.JsonSerializer.Serialize(Convert.ToBase64String(file, Base64FormattingOptions.InsertLineBreaks))[1..^1];
        var text = new StringBuilder();
        for (var i = 0; i < json.Length; i++)
        {
            if (random.Next(50) == 0)
                text.Append(' ', random.Next(1, 9)).Append('\t');
            // An escape whole: \uXXXX or \X.
            var unit = json[i] != '\\' ? 1 : json[i + 1] == 'u' ? 6 : 2;
            text.Append(json, i, unit);
            i += unit - 1;
        }

        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        Assert.True(SesWorker.Contracts.Reading.JsonBase64.IsValid(bytes, out var length));
        Assert.Equal(size, length);
        using var stream = new Base64ContentStream(bytes);

        Assert.Equal(file, ReadAll(stream, 1000));
        Assert.Equal(size, stream.Length);
        stream.Position = 0;
        Assert.Equal(file, ReadAll(stream, 65_536));
    }

    [Theory]
    [InlineData("UJD=", "5090")]
    [InlineData("QR==", "41")]
    [InlineData("QUJDUJD=", "4142435090")]
    public void Ignores_the_bits_past_the_last_byte_as_Convert_does(string base64, string hex)
    {
        using var stream = new Base64ContentStream(Encoding.ASCII.GetBytes(base64));

        Assert.Equal(Convert.FromHexString(hex), ReadAll(stream, 100));
        Assert.Equal(Convert.FromBase64String(base64), Convert.FromHexString(hex));
    }

    [Fact]
    public void A_text_that_is_not_base64_is_an_error_not_other_bytes()
    {
        using var stream = new Base64ContentStream(Encoding.ASCII.GetBytes("QUJD!!!!"));

        Assert.Throws<InvalidDataException>(() => ReadAll(stream, 100));
    }

    private static byte[] ReadAll(Stream stream, int bufferSize)
    {
        using var output = new MemoryStream();
        var buffer = new byte[bufferSize];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            output.Write(buffer, 0, n);
        return output.ToArray();
    }
}
