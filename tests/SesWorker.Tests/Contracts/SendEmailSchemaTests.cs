using System.Text;
using System.Text.Json;
using Json.Schema;
using SesWorker.Contracts;
using SesWorker.Contracts.Reading;

namespace SesWorker.Tests.Contracts;

public sealed class SendEmailSchemaTests
{
    private static JsonElement Schema()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "send-email.schema.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    private static SendEmail Read(string json)
    {
        var result = SendEmailReader.Read(Encoding.UTF8.GetBytes(json));
        Assert.True(result.IsReadable, result.ToString());
        return result.Message;
    }

    [Fact]
    public void The_published_schema_names_every_property_of_the_contract_and_requires_only_the_email_id()
    {
        var schema = Schema();
        var documented = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order().ToList();
        var actual = typeof(SendEmail).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).Order().ToList();

        Assert.Equal(actual, documented);
        Assert.Equal(["emailId"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Property_names_in_any_casing_are_read_and_unknown_ones_ignored()
    {
        var message = Read("""{"EmailId":"0f8fad5b-d9cb-469f-a165-70867728950e","appId":"1000","FROM":{"address":"a@example.com"},"to":[{"Address":"b@example.org"}],"SUBJECT":"s","Text":"t","priority":"high"}""");

        Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), message.EmailId);
        Assert.Null(message.ProducerKey);
        Assert.Equal("1000", message.AppId);
        Assert.Equal(new EmailAddress { Address = "a@example.com" }, message.From);
        Assert.Equal(new EmailAddress { Address = "b@example.org" }, Assert.Single(message.To!));
        Assert.Equal("s", message.Subject);
        Assert.Equal("t", message.Text);
        Assert.Null(message.Html);
    }

    [Fact]
    public void The_readme_example_with_every_property_is_read_into_the_contract()
    {
        var message = Read(ReadmeExample);

        Assert.Equal(Guid.Parse("7206a9bd-2786-5072-9f53-421cda16b6f5"), message.EmailId);
        Assert.Equal("order-42", message.ProducerKey);
        Assert.Equal("1250000000", message.AppId);
        Assert.Equal(new EmailAddress { Address = "noreply@example.com", Name = "Shop" }, message.From);
        Assert.Equal(
            [new EmailAddress { Address = "customer@example.org" }, new EmailAddress { Address = "other@example.org", Name = "Other" }],
            message.To!);
        Assert.Equal(new EmailAddress { Address = "support@example.com" }, message.ReplyTo);
        Assert.Equal("Your order", message.Subject);
        Assert.Equal("Plain text body", message.Text);
        Assert.Equal("<p>HTML body</p>", message.Html);
        var attachment = Assert.Single(message.Attachments!);
        Assert.Equal(("invoice.pdf", "application/pdf", "JVBERi0xLjQK"), (attachment.FileName, attachment.ContentType, attachment.Content));
        Assert.Equal("order-42@shop.example.com", message.MessageId);
        Assert.Equal(new Dictionary<string, string> { ["orderId"] = "42" }, message.Metadata);
        Assert.Equal(Guid.Parse("7d3c1b0e-8a51-4b0c-9d7e-2f7c0e6b9a11"), message.CorrelationId);
    }

    [Fact]
    public void A_whole_number_id_a_single_recipient_a_quoted_name_and_nulls_are_read_as_the_schema_allows()
    {
        var message = Read("""{"emailId":42,"appId":"1000","from":"\"Doe, Jane\" <jane@example.com>","to":{"address":"b@example.org","name":null},"replyTo":null,"subject":"s","text":null,"html":"<p>h</p>","attachments":null,"messageId":null,"metadata":{"n":1.5,"b":true,"gone":null,"s":"x"},"correlationId":null}""");

        Assert.Equal(Guid.Parse("4e8d8307-06dd-5c0d-85cf-ce15e6b99b82"), message.EmailId);
        Assert.Equal("42", message.ProducerKey);
        Assert.Equal(new EmailAddress { Address = "jane@example.com", Name = "Doe, Jane" }, message.From);
        Assert.Equal(new EmailAddress { Address = "b@example.org" }, Assert.Single(message.To!));
        Assert.Null(message.ReplyTo);
        Assert.Null(message.Text);
        Assert.Equal("<p>h</p>", message.Html);
        Assert.Null(message.Attachments);
        Assert.Null(message.MessageId);
        Assert.Equal(new Dictionary<string, string> { ["n"] = "1.5", ["b"] = "true", ["s"] = "x" }, message.Metadata);
        Assert.Null(message.CorrelationId);
    }

    /// <summary>The example README gives under "Publishing from any language", every property set.</summary>
    private const string ReadmeExample = """
        {
          "emailId": "order-42",
          "appId": 1250000000,
          "from": "Shop <noreply@example.com>",
          "to": [ "customer@example.org", { "address": "other@example.org", "name": "Other" } ],
          "replyTo": "support@example.com",
          "subject": "Your order",
          "text": "Plain text body",
          "html": "<p>HTML body</p>",
          "attachments": [ { "fileName": "invoice.pdf", "contentType": "application/pdf", "content": "JVBERi0xLjQK" } ],
          "messageId": "order-42@shop.example.com",
          "metadata": { "orderId": "42" },
          "correlationId": "7d3c1b0e-8a51-4b0c-9d7e-2f7c0e6b9a11"
        }
        """;

    private static readonly JsonSchema Published = JsonSchema.FromText(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "send-email.schema.json")),
        new BuildOptions { SchemaRegistry = new SchemaRegistry() });

    private static bool SchemaAccepts(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Published.Evaluate(document.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
    }

    [Fact]
    public void The_schema_accepts_the_readme_example_and_a_message_with_a_guid_id()
    {
        Assert.True(SchemaAccepts(ReadmeExample));
        Assert.True(SchemaAccepts("""{"emailId":"0f8fad5b-d9cb-469f-a165-70867728950e","appId":"1000","from":"a@example.com","to":"b@example.org","subject":"s","text":"t"}"""));
        Assert.True(SchemaAccepts("""{"emailId":42,"appId":"1000","from":"\"Doe, Jane\" <jane@example.com>","to":{"address":"b@example.org","name":null},"replyTo":null,"subject":"s","html":"<p>h</p>","metadata":{"n":1.5,"b":true,"s":"x"}}"""));
    }

    /// <summary>Every documented shape of <c>emailId</c>: the schema a producer validates against and the reader the
    /// worker reads with give the same answer (a GUID matches both string forms, so the schema says anyOf).</summary>
    [Theory]
    [InlineData("\"order-42\"", true)]
    [InlineData("\"0f8fad5b-d9cb-469f-a165-70867728950e\"", true)]
    [InlineData("\"0f8fad5bd9cb469fa16570867728950e\"", true)]
    [InlineData("\"{0f8fad5b-d9cb-469f-a165-70867728950e}\"", true)]
    [InlineData("\" order 42 \"", true)]
    [InlineData("42", true)]
    [InlineData("\"42\"", true)]
    [InlineData("\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"", true)]
    [InlineData("\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\"", false)]
    [InlineData("\"\"", false)]
    [InlineData("\"   \"", false)]
    [InlineData("\"0\"", false)]
    [InlineData("0", false)]
    [InlineData("\"000-000\"", false)]
    [InlineData("\"00000000-0000-0000-0000-000000000000\"", false)]
    [InlineData("\"00000000000000000000000000000000\"", false)]
    [InlineData("\"{00000000-0000-0000-0000-000000000000}\"", false)]
    [InlineData("\" (00000000-0000-0000-0000-000000000000) \"", false)]
    [InlineData("\"{0x00000000,0x0000,0x0000,{0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00}}\"", false)]
    [InlineData("true", false)]
    [InlineData("null", false)]
    [InlineData("{\"id\":\"x\"}", false)]
    public void The_schema_and_the_reader_agree_on_every_shape_of_email_id(string emailId, bool usable)
    {
        var json = $$"""{"emailId":{{emailId}},"appId":"1000","from":"a@example.com","to":["b@example.org"],"subject":"s","text":"t"}""";

        Assert.Equal(usable, SendEmailReader.Read(Encoding.UTF8.GetBytes(json)).IsReadable);
        Assert.Equal(usable, SchemaAccepts(json));
    }
}
