using System.Text;
using SesWorker.Contracts.Reading;

namespace SesWorker.Tests.Contracts;

public sealed class SendEmailReaderTests
{
    private const string Id = "0f8fad5b-d9cb-469f-a165-70867728950e";

    private static SendEmailReadResult Read(string json) => SendEmailReader.Read(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void The_issue_payload_from_pika_reads_with_plain_addresses_a_numeric_app_id_and_a_producer_key()
    {
        var result = Read("""{"emailId":"order-42","appId":1250000000,"from":"Shop <noreply@example.com>","to":["user@example.com"],"subject":"Hi","text":"t"}""");

        Assert.Equal(SendEmailReadStatus.Readable, result.Status);
        var message = result.Message!;
        Assert.Equal(Guid.Parse("7206a9bd-2786-5072-9f53-421cda16b6f5"), message.EmailId);
        Assert.Equal("order-42", message.ProducerKey);
        Assert.Equal("1250000000", message.AppId);
        Assert.Equal("noreply@example.com", message.From!.Address);
        Assert.Equal("Shop", message.From.Name);
        Assert.Equal("user@example.com", Assert.Single(message.To!).Address);
    }

    [Theory]
    [InlineData("1250000000", "order-42", "7206a9bd-2786-5072-9f53-421cda16b6f5")]
    [InlineData(null, "order-42", "b49d16ea-5466-5484-aee9-8d2a85c28f97")]
    [InlineData("1000", "订单-7", "f2244eba-090b-5d4f-9d2f-5d11e4e5d40f")]
    public void Producer_keys_map_to_the_uuid5_any_language_computes(string? appId, string key, string expected) =>
        Assert.Equal(Guid.Parse(expected), SendEmailReader.EmailIdFor(appId, key));

    [Fact]
    public void The_same_key_as_a_string_or_number_app_id_gives_the_same_row()
    {
        var asNumber = Read("""{"emailId":"k-1","appId":1000}""").Message!;
        var asString = Read("""{"emailId":"k-1","appId":"1000"}""").Message!;

        Assert.Equal(asString.EmailId, asNumber.EmailId);
    }

    [Fact]
    public void A_masstransit_envelope_is_read_from_its_message()
    {
        var result = Read($$$"""{"messageId":"a1","messageType":["urn:message:SesWorker.Contracts:SendEmail"],"message":{"EmailId":"{{{Id}}}","AppId":"1000","From":{"Address":"a@example.com","Name":"A"},"To":[{"Address":"b@example.org"}],"Subject":"S","Text":"T"},"headers":{}}""");

        Assert.True(result.IsReadable);
        Assert.Equal(Guid.Parse(Id), result.Message.EmailId);
        Assert.Equal("A", result.Message.From!.Name);
        Assert.Equal("S", result.Message.Subject);
    }

    [Fact]
    public void A_guid_id_with_the_key_it_came_from_keeps_both()
    {
        var id = SendEmailReader.EmailIdFor("1000", "order-9");
        var result = Read($$"""{"emailId":"{{id}}","producerKey":"order-9","appId":"1000"}""");

        Assert.Equal(id, result.Message!.EmailId);
        Assert.Equal("order-9", result.Message.ProducerKey);
    }

    [Fact]
    public void A_malformed_message_keeps_what_could_be_read_for_its_history_row()
    {
        var result = Read($$$"""{"emailId":"{{{Id}}}","appId":1000,"from":"a@example.com","to":["b@example.org",7],"subject":"Hello","text":{"oops":1}}""");

        Assert.Equal(SendEmailReadStatus.Malformed, result.Status);
        Assert.Equal(SendEmailReadCodes.MalformedMessage, result.Code);
        Assert.Contains("to[1] must be an address", result.Reason, StringComparison.Ordinal);
        Assert.Contains("text must be a string, not a JSON object", result.Reason, StringComparison.Ordinal);
        Assert.Equal(Guid.Parse(Id), result.Message!.EmailId);
        Assert.Equal("1000", result.Message.AppId);
        Assert.Equal("a@example.com", result.Message.From!.Address);
        Assert.Equal("b@example.org", Assert.Single(result.Message.To!).Address);
        Assert.Equal("Hello", result.Message.Subject);
    }

    [Fact]
    public void A_body_cut_after_the_id_keeps_the_id_app_and_subject_and_quotes_the_parser()
    {
        var result = Read($$"""{"emailId":"{{Id}}","appId":"1000","subject":"Invoice","attachments":[{"fileName":"a.pdf","content":"JVBER""");

        Assert.Equal(SendEmailReadStatus.Malformed, result.Status);
        Assert.StartsWith("The body is not valid JSON:", result.Reason, StringComparison.Ordinal);
        Assert.Equal("Invoice", result.Message!.Subject);
        Assert.Equal("1000", result.Message.AppId);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Every_payload_of_the_corpus_ends_in_its_class_with_a_code_and_a_reason(string name, byte[] body, SendEmailReadStatus expected, string? reasonFragment)
    {
        var result = SendEmailReader.Read(body);

        Assert.True(expected == result.Status, $"{name}: expected {expected}, got {result}");
        switch (expected)
        {
            case SendEmailReadStatus.Readable:
                Assert.NotNull(result.Message);
                Assert.NotEqual(Guid.Empty, result.Message.EmailId);
                Assert.Null(result.Code);
                break;
            case SendEmailReadStatus.Malformed:
                Assert.Equal(SendEmailReadCodes.MalformedMessage, result.Code);
                Assert.NotEqual(Guid.Empty, result.Message!.EmailId);
                Assert.False(string.IsNullOrWhiteSpace(result.Reason), name);
                Assert.True(result.Reason.Length < 4000, $"{name}: a reason of {result.Reason.Length} characters");
                break;
            default:
                Assert.Null(result.Message);
                Assert.True(result.Code is SendEmailReadCodes.NoEmailId or SendEmailReadCodes.InvalidEmailId, $"{name}: code {result.Code}");
                Assert.False(string.IsNullOrWhiteSpace(result.Reason), name);
                Assert.True(result.Reason.Length < 4000, $"{name}: a reason of {result.Reason.Length} characters");
                break;
        }

        if (reasonFragment is not null)
            Assert.True(result.Reason?.Contains(reasonFragment, StringComparison.Ordinal) == true, $"{name}: reason '{result.Reason}' lacks '{reasonFragment}'");
    }

    [Fact]
    public void The_corpus_has_at_least_a_hundred_malformed_payloads() =>
        Assert.True(ReaderCorpus.Cases().Count(c => c.Expected != SendEmailReadStatus.Readable) >= 100);

    public static TheoryData<string, byte[], SendEmailReadStatus, string?> Corpus()
    {
        var data = new TheoryData<string, byte[], SendEmailReadStatus, string?>();
        foreach (var c in ReaderCorpus.Cases())
            data.Add(c.Name, c.Body, c.Expected, c.ReasonFragment);
        return data;
    }
}
