using System.Text;
using System.Text.Json;
using SesWorker.Contracts.Reading;

namespace SesWorker.Tests.Contracts;

/// <summary>
/// A large body is parsed as a skeleton, its long strings read from the body where they stand: every body reads to the
/// same result as when the whole body is parsed, whatever is long, escaped, broken or commented.
/// </summary>
public sealed class JsonSkeletonTests
{
    private const string Id = "0f8fad5b-d9cb-469f-a165-70867728950e";

    /// <summary>Past the body length where the skeleton is tried, and past the cut, with the escapes producers write.</summary>
    private static readonly string Long = string.Concat(Enumerable.Range(0, 2_500).Select(i => (i % 7) switch
    {
        0 => "\\u002B",
        1 => "\\/",
        2 => "ab\\\"c",
        3 => "\\n\\t",
        4 => "\\u00e9\\ud83d\\ude00",
        5 => "é😀",
        _ => "QUJD",
    })) + new string('x', SendEmailReader.SkeletonMinimumBodyLength);

    private static readonly string Base64 = Convert.ToBase64String(Enumerable.Range(0, 60_000).Select(i => (byte)(i * 7)).ToArray());

    private static readonly string EscapedBase64 = Base64.Replace("+", "\\u002B", StringComparison.Ordinal).Replace("/", "\\/", StringComparison.Ordinal);

    public static TheoryData<string, byte[]> LongBodies()
    {
        var data = new TheoryData<string, byte[]>();
        void Add(string name, string json) => data.Add(name, Encoding.UTF8.GetBytes(json));
        string With(string rest) => $$"""{"emailId":"{{Id}}","appId":"1000","from":"a@example.com","to":["b@example.org"],{{rest}}}""";

        Add("attachment, escaped as System.Text.Json writes it", With($$"""  "attachments":[{"fileName":"a.bin","content":"{{EscapedBase64}}"}]"""));
        Add("two attachments, one short", With($$"""  "attachments":[{"fileName":"a","content":"{{Base64}}"},{"fileName":"b","contentType":"text/plain","content":"aGk="}]"""));
        Add("attachment content that is not base64", With($$"""  "attachments":[{"fileName":"a","content":"{{Long}}"}]"""));
        Add("attachment content not ASCII", With($$"""  "attachments":[{"fileName":"a","content":"é{{Base64}}"}]"""));
        Add("long subject, text and html", With($$"""  "subject":"{{Long}}","text":"{{Long}}","html":"<p>{{Long}}</p>" """));
        Add("long metadata value", With($$"""  "metadata":{"k":"{{Long}}","n":12,"s":"v"}"""));
        Add("long metadata key", With($$"""  "metadata":{"{{Long}}":"v","k":"{{Long}}","html":"{{Long}}"}"""));
        Add("long producer key as the id", $$"""{"emailId":"{{Long}}","appId":"1","x":"{{Long}}"}""");
        Add("long producer key", $$"""{"producerKey":"{{Long}}","appId":"1","x":"{{Long}}"}""");
        Add("long string where an object belongs", With($$"""  "attachments":["{{Long}}"]"""));
        Add("long appId", With($$"""  "appId":"{{Long}}" """));
        Add("long correlation id", With($$"""  "correlationId":"{{Long}}" """));
        Add("envelope with long headers", $$$"""{"messageId":"x","headers":{"h":"{{{Long}}}","n":5},"message":{"emailId":"{{{Id}}}","appId":"1","attachments":[{"fileName":"a","content":"{{{EscapedBase64}}}"}]}}""");
        Add("comments with quotes", $"{{/* \"x\" */ \"emailId\":\"{Id}\", // \"y\n\"text\":\"{Long}\" /* after */, /* \" */ \"html\" : \"{Long}\", \"subject\": \"{Long}\", \"n\": 1 // \"\r}}");
        Add("long strings inside comments", $"{{/* \"{Long}\" */ \"emailId\":\"{Id}\", // \"{Long}\n\"text\":\"{Long}\"}}");
        Add("whitespace around long values", With($"  \"text\" :\r\n \"{Long}\"\t,\n\"html\":\"{Long}\"  "));
        Add("a bad escape in a long string", With($$"""  "text":"{{Long}}\x" """));
        Add("a short unicode escape in a long string", With($$"""  "text":"{{Long}}\u12" """));
        Add("a raw control character in a long string", With($"  \"text\":\"{Long}\u0001\" "));
        Add("a long string never closed", With($$"""  "text":"{{Long}} """));
        Add("a comment never closed", With($$"""  "text":"{{Long}}" /* open """));
        Add("a slash that starts no comment", With($$"""  "text":"{{Long}}" / """));
        Add("garbage after a long string", With($$"""  "text":"{{Long}}" xyz"""));
        Add("long strings, then cut short", With($$"""  "text":"{{Long}}","html":"{{Long}}","subject":"abc"""));
        data.Add("bad UTF-8 in a long string", [.. Encoding.UTF8.GetBytes(With($$"""  "subject":"{{Long}}""")), 0xFF, 0xFE, .. "\"}"u8]);
        data.Add("bad UTF-8 in a long id", [.. "{\"emailId\":\""u8, .. Encoding.UTF8.GetBytes(Long), 0xC3, 0x28, .. "\"}"u8]);
        return data;
    }

    [Theory]
    [MemberData(nameof(LongBodies))]
    public void A_long_body_reads_as_the_whole_document_does(string name, byte[] body) => AssertSameRead(name, body);

    [Fact]
    public void Every_corpus_body_reads_the_same_padded_past_the_skeleton_length()
    {
        foreach (var c in ReaderCorpus.Cases())
        {
            AssertSameRead(c.Name, c.Body);
            var open = Array.IndexOf(c.Body, (byte)'{');
            if (open < 0)
                continue;
            // A long unknown property first: every later byte of the case is read past a cut value.
            byte[] padded = [.. c.Body[..(open + 1)], .. Encoding.UTF8.GetBytes($"\"padding\":\"{Long}\","), .. c.Body[(open + 1)..]];
            AssertSameRead($"{c.Name}, padded", padded);
        }
    }

    [Fact]
    public void A_body_with_megabytes_of_attachments_has_a_skeleton_of_a_few_hundred_bytes()
    {
        var content = Convert.ToBase64String(new byte[3_900_000]).Replace("A", "\\u002B", StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes($$"""{"emailId":"{{Id}}","appId":"1","from":"a@example.com","to":["b@example.org"],"subject":"s","attachments":[{"fileName":"a","content":"{{content}}"},{"fileName":"b","content":"{{content}}"}]}""");

        using var skeleton = JsonSkeleton.TryCreate(body);

        Assert.NotNull(skeleton);
        Assert.Equal(2, skeleton.CutCount);
        Assert.True(skeleton.Json.Length < 300, $"skeleton of {skeleton.Json.Length} bytes");
        var attachments = SendEmailReader.Read(body).Message!.Attachments!;
        Assert.All(attachments, a => Assert.True(a.IsEncoded && a.EncodedContent.Length == content.Length));
    }

    [Fact]
    public void Short_strings_and_property_names_are_never_cut()
    {
        var name = new string('n', 70_000);
        var body = Encoding.UTF8.GetBytes($$"""{"{{name}}":"short","emailId":"{{Id}}"}""");

        Assert.Null(JsonSkeleton.TryCreate(body));
    }

    private static void AssertSameRead(string name, byte[] body)
    {
        var expected = SendEmailReader.Read(body, allowSkeleton: false);
        var actual = SendEmailReader.Read(body, allowSkeleton: true);

        Assert.True(expected.Status == actual.Status, $"{name}: {actual.Status}, expected {expected.Status} ({expected.Reason})");
        Assert.True(expected.Code == actual.Code, $"{name}: code {actual.Code}, expected {expected.Code}");
        Assert.True(expected.Reason == actual.Reason, $"{name}: reason\n{actual.Reason}\nexpected\n{expected.Reason}");
        Assert.True(Json(expected.Message) == Json(actual.Message), $"{name}: the messages differ");
        Assert.True(Json(expected.EnvelopeHeaders) == Json(actual.EnvelopeHeaders), $"{name}: the envelope headers differ");
    }

    private static string Json(object? value) => JsonSerializer.Serialize(value);
}
