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
