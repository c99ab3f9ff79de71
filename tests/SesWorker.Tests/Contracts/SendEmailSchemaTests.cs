using System.Text.Json;
using SesWorker.Contracts;

namespace SesWorker.Tests.Contracts;

public sealed class SendEmailSchemaTests
{
    private static readonly JsonSerializerOptions CaseInsensitive = new() { PropertyNameCaseInsensitive = true };

    private static JsonElement Schema()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "send-email.schema.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
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
    public void The_readme_example_deserializes_into_the_contract_in_either_casing()
    {
        const string json = """{"EmailId":"0f8fad5b-d9cb-469f-a165-70867728950e","appId":"1000","FROM":{"address":"a@example.com"},"to":[{"Address":"b@example.org"}],"subject":"s","text":"t"}""";

        var message = JsonSerializer.Deserialize<SendEmail>(json, CaseInsensitive)!;

        Assert.Equal("1000", message.AppId);
        Assert.Equal("a@example.com", message.From!.Address);
        Assert.Equal("b@example.org", message.To!.Single().Address);
    }
}
