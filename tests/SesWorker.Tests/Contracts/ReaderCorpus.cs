using System.Text;
using SesWorker.Contracts.Reading;

namespace SesWorker.Tests.Contracts;

/// <summary>
/// Generated bodies, good and bad, each with the class the reader must put it in: wrong types for every field,
/// every shape of email id, truncations at every few bytes, bad UTF-8, deep nesting, envelopes, not-JSON.
/// </summary>
internal static class ReaderCorpus
{
    private const string Id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private const SendEmailReadStatus R = SendEmailReadStatus.Readable;
    private const SendEmailReadStatus M = SendEmailReadStatus.Malformed;
    private const SendEmailReadStatus U = SendEmailReadStatus.Unreadable;

    private static readonly string Good =
        $$"""{"emailId":"{{Id}}","appId":"1000","from":{"address":"noreply@example.com","name":"Shop"},"to":[{"address":"c@example.org"}],"subject":"Your order","text":"Hi","html":"<p>Hi</p>","attachments":[{"fileName":"a.txt","contentType":"text/plain","content":"aGVsbG8="}],"messageId":"m1@example.com","metadata":{"orderId":"42"},"correlationId":"7d3c1b0e-8a51-4b0c-9d7e-2f7c0e6b9a11"}""";

    internal sealed record Case(string Name, byte[] Body, SendEmailReadStatus Expected, string? ReasonFragment = null);

    public static IEnumerable<Case> Cases() =>
        IssueCases().Concat(FieldTypes()).Concat(EmailIds()).Concat(NotJson()).Concat(Truncations()).Concat(Oddities());

    private static Case Json(string name, string json, SendEmailReadStatus expected, string? fragment = null) => new(name, Encoding.UTF8.GetBytes(json), expected, fragment);

    /// <summary>The good message with one field replaced by raw JSON.</summary>
    private static string With(string field, string rawValue) =>
        $$"""{"emailId":"{{Id}}","appId":"1000","from":"noreply@example.com","to":["c@example.org"],"subject":"S","text":"T","{{field}}":{{rawValue}}}""";

    private static IEnumerable<Case> IssueCases()
    {
        yield return Json("issue: to as plain strings", With("to", """["user@example.com"]"""), R);
        yield return Json("issue: from with a display name", With("from", "\"Shop <noreply@example.com>\""), R);
        yield return Json("issue: quoted display name", With("from", "\"\\\"Shop, Inc\\\" <noreply@example.com>\""), R);
        yield return Json("issue: appId as a number", With("appId", "1250000000"), R);
        yield return Json("issue: producer key as emailId", """{"emailId":"order-42","appId":1250000000,"to":["user@example.com"]}""", R);
        yield return Json("issue: empty id", """{"emailId":""}""", U, "emailId is empty");
        yield return Json("issue: all-zero id", """{"emailId":"00000000-0000-0000-0000-000000000000"}""", U, "all zeros");
        yield return Json("good: the README example", Good, R);
        yield return Json("good: PascalCase", Good.Replace("\"emailId\"", "\"EmailId\"", StringComparison.Ordinal).Replace("\"subject\"", "\"Subject\"", StringComparison.Ordinal), R);
    }

    private static IEnumerable<Case> FieldTypes()
    {
        var table = new (string Field, string Value, SendEmailReadStatus Expected, string? Fragment)[]
        {
            ("appId", "true", M, "appId must be a string or a whole number"), ("appId", "{}", M, "appId"), ("appId", "[]", M, "appId"),
            ("appId", "1.5", M, "appId"), ("appId", "\"x\"", R, null), ("appId", "null", R, null), ("appId", "123", R, null),
            ("from", "true", M, "from must be an address"), ("from", "1", M, "from must be an address"), ("from", "[]", M, "from"),
            ("from", "{}", M, "from has no address"), ("from", """{"address":1}""", M, "from.address must be a string"),
            ("from", """{"name":"x"}""", M, "from has no address"), ("from", """{"address":"a@b.c","name":5}""", M, "from.name"),
            ("from", "\"a@b.c\"", R, null), ("from", """{"Address":"a@b.c","Name":"A"}""", R, null), ("from", "\"A <a@b.c>\"", R, null),
            ("to", "true", M, "to must be an array"), ("to", "1", M, "to must be"), ("to", "[1]", M, "to[0] must be an address"),
            ("to", "[null]", M, "to[0] is null"), ("to", "[[]]", M, "to[0]"), ("to", "{}", M, "to has no address"),
            ("to", """[{"address":true}]""", M, "to[0].address"), ("to", "\"a@b.c\"", R, null), ("to", """["a@b.c",{"address":"c@d.e"}]""", R, null),
            ("to", "[]", R, null), ("to", """["B <b@c.d>","e@f.g"]""", R, null),
            ("replyTo", "7", M, "replyTo must be an address"), ("replyTo", "[]", M, "replyTo"), ("replyTo", "\"r@b.c\"", R, null),
            ("attachments", "{}", M, "attachments must be an array"), ("attachments", "\"x\"", M, "attachments must be an array"),
            ("attachments", "[1]", M, "attachments[0] must be an object"), ("attachments", """[{"fileName":1,"content":"AA=="}]""", M, "attachments[0].fileName"),
            ("attachments", """[{"fileName":"a","content":{}}]""", M, "attachments[0].content"), ("attachments", """[{"fileName":"a","content":"AA==","contentType":[]}]""", M, "contentType"),
            ("attachments", "[{}]", R, null), ("attachments", "[]", R, null), ("attachments", "null", R, null),
            ("metadata", "[]", M, "metadata must be an object"), ("metadata", "\"x\"", M, "metadata must be an object"),
            ("metadata", """{"a":{}}""", M, "metadata.a must be a string"), ("metadata", """{"a":[1]}""", M, "metadata.a"),
            ("metadata", """{"a":1,"b":true,"c":null}""", R, null),
            ("correlationId", "\"not-a-guid\"", M, "is not a GUID"), ("correlationId", "1", M, "correlationId must be a string"),
            ("correlationId", "{}", M, "correlationId"), ("correlationId", "\"\"", R, null),
        };
        foreach (var (field, value, expected, fragment) in table)
            yield return Json($"{field}: {value}", With(field, value), expected, fragment);

        // Every string field refuses every non-string shape.
        foreach (var field in new[] { "subject", "text", "html", "messageId" })
        {
            foreach (var value in new[] { "1", "true", "false", "{}", "[]", """{"a":"b"}""", """["s"]""" })
                yield return Json($"{field}: {value}", With(field, value), M, $"{field} must be a string");
        }
    }

    private static IEnumerable<Case> EmailIds()
    {
        yield return Json("id: missing", """{"appId":"1000","subject":"s"}""", U, "no emailId");
        yield return Json("id: null", """{"emailId":null}""", U, "emailId is null");
        yield return Json("id: blank", """{"emailId":"   "}""", U, "emailId is empty");
        yield return Json("id: zero key", """{"emailId":"0"}""", U, "all zeros");
        yield return Json("id: zero number", """{"emailId":0}""", U, "all zeros");
        yield return Json("id: zeros and dashes", """{"emailId":"000-000"}""", U, "all zeros");
        yield return Json("id: zero guid in braces", """{"emailId":"{00000000-0000-0000-0000-000000000000}"}""", U, "all zeros");
        yield return Json("id: zero guid in parentheses", """{"emailId":" (00000000-0000-0000-0000-000000000000) "}""", U, "all zeros");
        yield return Json("id: zero guid, hexadecimal form", """{"emailId":"{0x00000000,0x0000,0x0000,{0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00}}"}""", U, "all zeros");
        yield return Json("id: zero guid, no dashes", """{"emailId":"00000000000000000000000000000000"}""", U, "all zeros");
        yield return Json("id: true", """{"emailId":true}""", U, "emailId is a JSON boolean");
        yield return Json("id: object", """{"emailId":{"id":"x"}}""", U, "emailId is a JSON object");
        yield return Json("id: array", $$"""{"emailId":["{{Id}}"]}""", U, "emailId is a JSON array");
        yield return Json("id: 256-character key", $$"""{"emailId":"{{new string('k', 256)}}"}""", U, "at most 255");
        yield return Json("id: 100000-character key", $$"""{"emailId":"{{new string('k', 100_000)}}"}""", U, "at most 255");
        yield return new("id: not UTF-8", [.. "{\"emailId\":\"ab"u8, 0xFF, 0xFE, .. "\"}"u8], U, null);
        yield return Json("id: producerKey only", """{"producerKey":"order-1","appId":"1"}""", R);
        yield return Json("id: 255-character key", $$"""{"emailId":"{{new string('k', 255)}}"}""", R);
        yield return Json("id: number key", """{"emailId":42}""", R);
        yield return Json("id: guid without dashes", """{"emailId":"0f8fad5bd9cb469fa16570867728950e"}""", R);
        yield return Json("id: guid in braces", $$"""{"emailId":"{{{Id}}}"}""", R);
        yield return Json("id: unicode key", """{"emailId":"订单-42"}""", R);
        yield return Json("id: last of two wins", $$"""{"emailId":"","emailId":"{{Id}}"}""", R);
    }

    private static IEnumerable<Case> NotJson()
    {
        yield return new("empty body", [], U, "empty");
        yield return Json("whitespace", " \r\n\t ", U, "empty");
        yield return Json("null", "null", U, "a JSON null");
        yield return Json("array", $$"""[{"emailId":"{{Id}}"}]""", U, "a JSON array");
        yield return Json("number", "42", U, "a JSON number");
        yield return Json("string", "\"hello\"", U, "a JSON string");
        yield return Json("plain text", "send an email please", U, "not JSON");
        yield return Json("xml", "<sendEmail><emailId>1</emailId></sendEmail>", U, "not JSON");
        yield return Json("form data", "emailId=order-1&appId=1000", U, "not JSON");
        yield return new("binary", [0x00, 0x01, 0xFF, 0xFE, 0x7B], U, null);
        yield return new("bad UTF-8 first", [0xC3, 0x28, .. "{}"u8], U, null);
        yield return Json("lone brace", "{", U, "no emailId could be read");
        yield return Json("unquoted names", $$"""{emailId:"{{Id}}"}""", U, "no emailId could be read");
        yield return Json("single quotes", $$"""{'emailId':'{{Id}}'}""", U, "no emailId could be read");
    }

    /// <summary>The good body cut every few bytes: readable id before the cut means a row, otherwise the error queue.</summary>
    private static IEnumerable<Case> Truncations()
    {
        var body = Encoding.UTF8.GetBytes(Good);
        var idEnd = Good.IndexOf(Id, StringComparison.Ordinal) + Id.Length + 1;
        for (var cut = 1; cut < body.Length; cut += 9)
            yield return new($"truncated at {cut} of {body.Length}", body[..cut], cut >= idEnd ? M : U, cut >= idEnd ? "not valid JSON" : null);
        yield return new("truncated one byte short", body[..^1], M, "not valid JSON");
    }

    private static IEnumerable<Case> Oddities()
    {
        yield return new("bad UTF-8 in the subject", [.. Encoding.UTF8.GetBytes($$"""{"emailId":"{{Id}}","subject":"a"""), 0xFF, .. "\"}"u8], M, null);
        yield return new("bad UTF-8 in a metadata value", [.. Encoding.UTF8.GetBytes($$"""{"emailId":"{{Id}}","metadata":{"k":"""), 0xC3, 0x28, .. "\"}}"u8], M, null);
        yield return new("UTF-8 BOM", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Good)], R);
        yield return Json("nesting 200 deep after the id", $$"""{"emailId":"{{Id}}","metadata":{{new string('[', 200)}}{{new string(']', 200)}}}""", M, "not valid JSON");
        yield return Json("nesting 200 deep before the id", $$"""{"x":{{new string('[', 200)}}{{new string(']', 200)}},"emailId":"{{Id}}"}""", U, "no emailId could be read");
        yield return Json("nesting 30 deep in an unknown field", $$"""{"x":{{new string('[', 30)}}{{new string(']', 30)}},"emailId":"{{Id}}"}""", R);
        yield return Json("garbage after the object", Good + "xyz", M, "not valid JSON");
        yield return Json("two objects", Good + Good, M, "not valid JSON");
        yield return Json("trailing comma and comments", $"{{/* c */ \"emailId\":\"{Id}\", // id\n\"appId\":\"1\",}}", R);
        yield return Json("a huge property name", $$"""{"{{new string('n', 200_000)}}":1,"emailId":"{{Id}}"}""", R);
        yield return Json("many unknown properties", "{" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"\"p{i}\":{i},")) + $"\"emailId\":\"{Id}\"}}", R);
        yield return Json("envelope", $$"""{"messageId":"x","messageType":["urn:message:SesWorker.Contracts:SendEmail"],"message":{{Good}}}""", R);
        yield return Json("envelope without an id", """{"messageId":"x","message":{"appId":"1000"}}""", U, "no emailId");
        yield return Json("envelope with a bad field", $$$"""{"message":{"emailId":"{{{Id}}}","to":5}}""", M, "to must be");
        yield return Json("envelope cut inside the message", $$"""{"messageId":"x","message":{"emailId":"{{Id}}","appId":"1000","text":"abc""", M, "not valid JSON");
        yield return Json("envelope with a string message", """{"messageId":"x","message":"hello"}""", U, "no emailId");
        yield return Json("unterminated string after the id", $$"""{"emailId":"{{Id}}","subject":"abc""", M, "not valid JSON");
        yield return Json("control character in a string", $"{{\"emailId\":\"{Id}\",\"subject\":\"a\u0001b\"}}", M, "not valid JSON");
        yield return Json("NaN literal", $$"""{"emailId":"{{Id}}","appId":NaN}""", M, "not valid JSON");
    }
}
