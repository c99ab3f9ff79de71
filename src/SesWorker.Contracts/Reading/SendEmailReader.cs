using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SesWorker.Contracts.Reading;

/// <summary>
/// Reads a SendEmail from raw message bytes the way producers in any language actually write it: addresses as
/// "a@b", "Name &lt;a@b&gt;" or {address, name}; appId as a string or a number; emailId as a GUID or the producer's
/// own key; camelCase or PascalCase; plain JSON or a MassTransit envelope. It never throws for a bad body: the
/// result says whether there is a command, an email id with a malformed rest (so the history row can say why), or
/// nothing to key a row on. Pure: no I/O, no clock, no options.
/// </summary>
public static class SendEmailReader
{
    /// <summary>A producer key longer than this cannot be stored as given, so it is refused.</summary>
    public const int MaxProducerKeyLength = 255;

    /// <summary>
    /// The UUIDv5 namespace of producer keys. Fixed forever: the row id of "order-42" must not change between
    /// releases, or a republished message would be sent again. Any language computes the same id with its own
    /// UUIDv5 (Python: <c>uuid.uuid5(ns, f"{app_id}:{key}")</c>).
    /// </summary>
    public static readonly Guid ProducerKeyNamespace = new("5b0f7c3e-2f4a-5d8e-9c61-3a7e0b9d4f12");

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>A body this long is parsed as a skeleton (<see cref="JsonSkeleton"/>) where it has long strings: one with attachments.</summary>
    internal const int SkeletonMinimumBodyLength = 64 * 1024;

    private static readonly JsonReaderOptions SalvageOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    public static SendEmailReadResult Read(ReadOnlyMemory<byte> body) => Read(body, allowSkeleton: true);

    /// <summary><paramref name="allowSkeleton"/> false: the whole body parsed as a document (tests hold both ways to the same results).</summary>
    internal static SendEmailReadResult Read(ReadOnlyMemory<byte> body, bool allowSkeleton)
    {
        var json = body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;
        if (json.Span.Trim(" \t\r\n"u8).IsEmpty)
            return SendEmailReadResult.Unreadable(SendEmailReadCodes.NoEmailId, "The body is empty.");

        using var skeleton = allowSkeleton && json.Length >= SkeletonMinimumBodyLength ? JsonSkeleton.TryCreate(json) : null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(skeleton?.Json ?? json, DocumentOptions);
        }
        catch (JsonException exception)
        {
            return Salvage(json.Span, skeleton is null ? exception.Message : ParserMessage(json, exception));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return SendEmailReadResult.Unreadable(SendEmailReadCodes.NoEmailId, $"The body is a JSON {Kind(root.ValueKind)}, not an object.");
            var scope = new ReadScope(json, skeleton);
            var result = ReadCommand(Fields.Of(Unwrap(root, out var envelope)), scope);
            return envelope ? result.WithEnvelopeHeaders(EnvelopeHeaders(root, scope)) : result;
        }
    }

    /// <summary>The parser's message about the body itself: a skeleton's line and byte positions are not the body's.</summary>
    private static string ParserMessage(ReadOnlyMemory<byte> json, JsonException skeletonError)
    {
        try
        {
            using var document = JsonDocument.Parse(json, DocumentOptions);
            return skeletonError.Message;
        }
        catch (JsonException exception)
        {
            return exception.Message;
        }
    }

    /// <summary>The "headers" of a MassTransit envelope: strings, whole and other numbers, booleans.</summary>
    private static Dictionary<string, object> EnvelopeHeaders(JsonElement envelope, ReadScope scope)
    {
        var found = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var property in envelope.EnumerateObject())
        {
            if (!Is(property.Name, "headers") || property.Value.ValueKind != JsonValueKind.Object)
                continue;
            foreach (var header in property.Value.EnumerateObject())
            {
                object? value = header.Value.ValueKind switch
                {
                    JsonValueKind.String => scope.GetString(header.Value),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => header.Value.TryGetInt64(out var whole) ? whole : header.Value.GetDouble(),
                    _ => null,
                };
                if (value is not null)
                    found[header.Name] = value;
            }
        }

        return found;
    }

    /// <summary>
    /// The row id for a producer key: UUIDv5 (RFC 9562, SHA-1) in <see cref="ProducerKeyNamespace"/> of
    /// "{appId}:{key}" in UTF-8. The appId is part of the name so two services may use the same keys.
    /// </summary>
    public static Guid EmailIdFor(string? appId, string producerKey)
    {
        ArgumentNullException.ThrowIfNull(producerKey);
        var name = Encoding.UTF8.GetBytes($"{appId}:{producerKey}");
        var input = new byte[16 + name.Length];
        ProducerKeyNamespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // UUIDv5 is defined on SHA-1; this is an identifier, not a signature.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>A MassTransit envelope carries the command under "message"; a command itself never has that property.</summary>
    private static JsonElement Unwrap(JsonElement root, out bool envelope)
    {
        envelope = false;
        JsonElement? message = null;
        foreach (var property in root.EnumerateObject())
        {
            if (Is(property.Name, "emailId"))
                return root;
            if (Is(property.Name, "message") && property.Value.ValueKind == JsonValueKind.Object)
                message = property.Value;
        }

        envelope = message is not null;
        return message ?? root;
    }

    private static SendEmailReadResult ReadCommand(Fields fields, ReadScope scope)
    {
        var appId = ReadAppId(fields.AppId, scope);
        var id = ResolveEmailId(scope.Token(fields.EmailId), scope.Token(fields.ProducerKey), appId);
        if (id.Failure is { } failure)
            return failure;

        var command = new SendEmail
        {
            EmailId = id.EmailId,
            ProducerKey = id.ProducerKey,
            AppId = appId,
            From = ReadAddress(fields.From, "from", scope),
            To = ReadAddresses(fields.To, scope),
            ReplyTo = ReadAddress(fields.ReplyTo, "replyTo", scope),
            Subject = ReadString(fields.Subject, "subject", scope),
            Text = ReadString(fields.Text, "text", scope),
            Html = ReadString(fields.Html, "html", scope),
            Attachments = ReadAttachments(fields.Attachments, scope),
            MessageId = ReadString(fields.MessageId, "messageId", scope),
            Metadata = ReadMetadata(fields.Metadata, scope),
            CorrelationId = ReadGuid(fields.CorrelationId, "correlationId", scope),
        };
        return scope.ErrorCount == 0 ? SendEmailReadResult.Readable(command) : SendEmailReadResult.Malformed(command, scope.Errors);
    }

    private static (Guid EmailId, string? ProducerKey, SendEmailReadResult? Failure) ResolveEmailId(EmailIdToken emailId, EmailIdToken producerKey, string? appId)
    {
        if (emailId.Kind == JsonValueKind.Undefined && producerKey.Kind == JsonValueKind.String && !string.IsNullOrWhiteSpace(producerKey.Text))
            emailId = producerKey;

        switch (emailId.Kind)
        {
            case JsonValueKind.Undefined:
                return Refuse(SendEmailReadCodes.NoEmailId, "The message has no emailId.");
            case JsonValueKind.Null:
                return Refuse(SendEmailReadCodes.NoEmailId, "emailId is null.");
            case JsonValueKind.String or JsonValueKind.Number:
                break;
            default:
                return Refuse(SendEmailReadCodes.InvalidEmailId, $"emailId is a JSON {Kind(emailId.Kind)}; expected a GUID or a key of at most {MaxProducerKeyLength} characters.");
        }

        var text = emailId.Text;
        if (text is null)
            return Refuse(SendEmailReadCodes.InvalidEmailId, "emailId is not valid UTF-8.");
        if (string.IsNullOrWhiteSpace(text))
            return Refuse(SendEmailReadCodes.InvalidEmailId, "emailId is empty.");
        if (text.AsSpan().Trim().IndexOfAnyExcept("0-") < 0)
            return Refuse(SendEmailReadCodes.InvalidEmailId, $"emailId '{text}' is all zeros.");
        if (Guid.TryParse(text, out var guid))
        {
            // The zero GUID in another of its forms ("{0000...}", "(0000...)", "{0x00000000,...}").
            if (guid == Guid.Empty)
                return Refuse(SendEmailReadCodes.InvalidEmailId, $"emailId '{text}' is all zeros.");
            // A GUID id may come with the key it was derived from (SesWorker.Client sends both); keep the key.
            var givenKey = producerKey.Kind == JsonValueKind.String && producerKey.Text is { Length: > 0 and <= MaxProducerKeyLength } k ? k : null;
            return (guid, givenKey, null);
        }

        if (text.Length > MaxProducerKeyLength)
            return Refuse(SendEmailReadCodes.InvalidEmailId, $"emailId is a key of {text.Length} characters; at most {MaxProducerKeyLength} are allowed.");
        return (EmailIdFor(appId, text), text, null);

        static (Guid, string?, SendEmailReadResult?) Refuse(string code, string reason) => (Guid.Empty, null, SendEmailReadResult.Unreadable(code, reason));
    }

    private static string? ReadAppId(JsonElement? element, ReadScope scope)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } e:
                return Text(e, "appId", scope);
            case { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var number):
                // Tencent's appIds are numbers; "1250000000" and 1250000000 are the same account.
                return number.ToString(CultureInfo.InvariantCulture);
            case { } e:
                scope.Add($"appId must be a string or a whole number, not {Describe(e, scope)}.");
                return null;
        }
    }

    private static string? ReadString(JsonElement? element, string name, ReadScope scope) => element switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } e => Text(e, name, scope),
        { } e => Error<string>(scope, $"{name} must be a string, not {Describe(e, scope)}."),
    };

    private static Guid? ReadGuid(JsonElement? element, string name, ReadScope scope)
    {
        var text = ReadString(element, name, scope);
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (Guid.TryParse(text, out var guid))
            return guid;
        scope.Add($"{name} '{Clip(text)}' is not a GUID.");
        return null;
    }

    private static EmailAddress? ReadAddress(JsonElement? element, string name, ReadScope scope)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } e:
                return Text(e, name, scope) is { } text ? MailboxText.Parse(text) : null;
            case { ValueKind: JsonValueKind.Object } e:
                JsonElement? address = null, display = null;
                foreach (var property in e.EnumerateObject())
                {
                    if (Is(property.Name, "address") || Is(property.Name, "email"))
                        address = property.Value;
                    else if (Is(property.Name, "name"))
                        display = property.Value;
                }

                if (address is null)
                {
                    scope.Add($"{name} has no address.");
                    return null;
                }

                var value = ReadString(address, $"{name}.address", scope);
                return value is null ? null : new EmailAddress { Address = value, Name = ReadString(display, $"{name}.name", scope) };
            case { } e:
                scope.Add($"{name} must be an address (\"a@b\", \"Name <a@b>\" or {{\"address\": ...}}), not {Describe(e, scope)}.");
                return null;
        }
    }

    private static List<EmailAddress>? ReadAddresses(JsonElement? element, ReadScope scope)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String or JsonValueKind.Object }:
                // One recipient need not be wrapped in an array.
                return ReadAddress(element, "to", scope) is { } single ? [single] : null;
            case { ValueKind: JsonValueKind.Array } e:
                var list = new List<EmailAddress>(e.GetArrayLength());
                var index = 0;
                foreach (var item in e.EnumerateArray())
                {
                    var name = $"to[{index++}]";
                    if (item.ValueKind == JsonValueKind.Null)
                        scope.Add($"{name} is null.");
                    else if (ReadAddress(item, name, scope) is { } address)
                        list.Add(address);
                }

                return list;
            case { } e:
                scope.Add($"to must be an array of addresses, not {Describe(e, scope)}.");
                return null;
        }
    }

    private static List<EmailAttachment>? ReadAttachments(JsonElement? element, ReadScope scope)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Array } e:
                var list = new List<EmailAttachment>(e.GetArrayLength());
                var index = 0;
                foreach (var item in e.EnumerateArray())
                {
                    var name = $"attachments[{index++}]";
                    if (item.ValueKind != JsonValueKind.Object)
                    {
                        scope.Add($"{name} must be an object, not {Describe(item, scope)}.");
                        continue;
                    }

                    JsonElement? fileName = null, contentType = null, content = null;
                    foreach (var property in item.EnumerateObject())
                    {
                        if (Is(property.Name, "fileName"))
                            fileName = property.Value;
                        else if (Is(property.Name, "contentType"))
                            contentType = property.Value;
                        else if (Is(property.Name, "content"))
                            content = property.Value;
                    }

                    // A missing name or content is left empty: the provider's rules give it a precise code.
                    var file = ReadString(fileName, $"{name}.fileName", scope) ?? string.Empty;
                    var type = ReadString(contentType, $"{name}.contentType", scope);
                    list.Add(content is { ValueKind: JsonValueKind.String } text && scope.Encoded(text) is { } encoded
                        ? new EmailAttachment(file, type, encoded)
                        : new EmailAttachment { FileName = file, ContentType = type, Content = ReadString(content, $"{name}.content", scope) ?? string.Empty });
                }

                return list;
            case { } e:
                scope.Add($"attachments must be an array, not {Describe(e, scope)}.");
                return null;
        }
    }

    private static Dictionary<string, string>? ReadMetadata(JsonElement? element, ReadScope scope)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Object } e:
                var map = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var property in e.EnumerateObject())
                {
                    switch (property.Value.ValueKind)
                    {
                        case JsonValueKind.Null:
                            break;
                        case JsonValueKind.String:
                            if (Text(property.Value, $"metadata.{Clip(property.Name)}", scope) is { } text)
                                map[property.Name] = text;
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            map[property.Name] = property.Value.GetRawText();
                            break;
                        default:
                            scope.Add($"metadata.{Clip(property.Name)} must be a string, not {Describe(property.Value, scope)}.");
                            break;
                    }
                }

                return map;
            case { } e:
                scope.Add($"metadata must be an object of strings, not {Describe(e, scope)}.");
                return null;
        }
    }

    /// <summary>
    /// The JSON is broken (truncated, bad UTF-8, not JSON at all). If the email id came before the break, it is
    /// still an email the producer meant to send: read the top-level scalars up to the break, so the row can say why.
    /// </summary>
    private static SendEmailReadResult Salvage(ReadOnlySpan<byte> json, string parserMessage)
    {
        var root = new Salvaged();
        var inner = new Salvaged();
        var reader = new Utf8JsonReader(json, SalvageOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return SendEmailReadResult.Unreadable(SendEmailReadCodes.NoEmailId, $"The body is not a JSON object: {parserMessage}");
        }
        catch (JsonException)
        {
            return SendEmailReadResult.Unreadable(SendEmailReadCodes.NoEmailId, $"The body is not JSON: {parserMessage}");
        }

        try
        {
            var inMessage = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && inMessage && reader.CurrentDepth == 1)
                    inMessage = false;
                if (reader.TokenType != JsonTokenType.PropertyName || !(reader.CurrentDepth == 1 || (inMessage && reader.CurrentDepth == 2)))
                    continue;
                var target = reader.CurrentDepth == 1 ? root : inner;
                var name = reader.GetString();
                if (!reader.Read())
                    break;
                if (reader.CurrentDepth == 1 && Is(name, "message") && reader.TokenType == JsonTokenType.StartObject)
                    inMessage = true;
                else
                    target.Take(name, ref reader);
            }
        }
        catch (JsonException)
        {
            // The break itself: what was read before it stands.
        }
        catch (InvalidOperationException)
        {
            // A name that is not valid UTF-8: stop there too.
        }

        var found = root.EmailId.Kind != JsonValueKind.Undefined || root.ProducerKey.Kind != JsonValueKind.Undefined ? root : inner;
        var id = ResolveEmailId(found.EmailId, found.ProducerKey, found.AppId);
        if (id.Failure is not null)
        {
            return found.EmailId.Kind == JsonValueKind.Undefined && found.ProducerKey.Kind == JsonValueKind.Undefined
                ? SendEmailReadResult.Unreadable(SendEmailReadCodes.NoEmailId, $"The body is not valid JSON and no emailId could be read before the error: {parserMessage}")
                : id.Failure;
        }

        var partial = new SendEmail
        {
            EmailId = id.EmailId,
            ProducerKey = id.ProducerKey,
            AppId = found.AppId,
            From = found.From is { } from ? MailboxText.Parse(from) : null,
            To = found.To is { } to ? [MailboxText.Parse(to)] : null,
            Subject = found.Subject,
        };
        return SendEmailReadResult.Malformed(partial, $"The body is not valid JSON: {parserMessage}");
    }

    private static string? Text(JsonElement element, string name, ReadScope scope)
    {
        try
        {
            return scope.GetString(element);
        }
        catch (InvalidOperationException)
        {
            scope.Add($"{name} is not valid UTF-8.");
            return null;
        }
    }

    private static T? Error<T>(ReadScope scope, string message) where T : class
    {
        scope.Add(message);
        return null;
    }

    internal static bool Is(string? name, string expected) => string.Equals(name, expected, StringComparison.OrdinalIgnoreCase);

    private static string Describe(JsonElement element, ReadScope scope) => element.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => $"the {Kind(element.ValueKind)} {Clip(scope.RawText(element))}",
        _ => $"a JSON {Kind(element.ValueKind)}",
    };

    internal static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    /// <summary>Reasons go into a text column and logs: a 10 MB value is cut to its start.</summary>
    internal static string Clip(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");

    /// <summary>
    /// What one read collects: its errors, and its string values, from the document or, where a skeleton cut them,
    /// from the body where they stand.
    /// </summary>
    private sealed class ReadScope(ReadOnlyMemory<byte> source, JsonSkeleton? skeleton)
    {
        private readonly List<string> errors = [];

        public int ErrorCount => errors.Count;

        public string Errors => string.Join("; ", errors);

        public void Add(string error) => errors.Add(error);

        public string? GetString(JsonElement element) =>
            skeleton is not null && skeleton.TryGetCut(element, out var value) ? JsonSkeleton.Reader(value).GetString() : element.GetString();

        public string RawText(JsonElement element) =>
            skeleton is not null && skeleton.TryGetCut(element, out var value) ? JsonSkeleton.Start(value) : element.GetRawText();

        public EmailIdToken Token(JsonElement? element)
        {
            if (element is not { } e || skeleton is null || !skeleton.TryGetCut(e, out var value))
                return EmailIdToken.Of(element);
            var reader = JsonSkeleton.Reader(value);
            return EmailIdToken.Of(ref reader);
        }

        /// <summary>
        /// An attachment's base64 without a string or a copy: the very bytes of the JSON string in the body, escapes and
        /// all (<see cref="JsonBase64"/> undoes them while the part is written). Null when the value is not ASCII, so the
        /// string path reports it, and for a value a skeleton did not cut (a short one: read as a string).
        /// </summary>
        public ReadOnlyMemory<byte>? Encoded(JsonElement element)
        {
            ReadOnlyMemory<byte> value;
            if (skeleton is not null)
            {
                if (!skeleton.TryGetCut(element, out value))
                    return null;
            }
            else
            {
                // JsonDocument parsed the body in place: the value is a slice of it.
                var raw = JsonMarshal.GetRawUtf8Value(element);
                var offset = Unsafe.ByteOffset(ref MemoryMarshal.GetReference(source.Span), ref MemoryMarshal.GetReference(raw));
                if (offset < 0 || offset + raw.Length > source.Length)
                    return null;
                value = source.Slice((int)offset, raw.Length);
            }

            return value.Length >= 2 && Ascii.IsValid(value.Span) ? value[1..^1] : null;
        }
    }

    /// <summary>The command's properties by name, any casing, found in one pass; unknown names are ignored (newer producers).</summary>
    private sealed class Fields
    {
        public JsonElement? EmailId { get; private set; }

        public JsonElement? ProducerKey { get; private set; }

        public JsonElement? AppId { get; private set; }

        public JsonElement? From { get; private set; }

        public JsonElement? To { get; private set; }

        public JsonElement? ReplyTo { get; private set; }

        public JsonElement? Subject { get; private set; }

        public JsonElement? Text { get; private set; }

        public JsonElement? Html { get; private set; }

        public JsonElement? Attachments { get; private set; }

        public JsonElement? MessageId { get; private set; }

        public JsonElement? Metadata { get; private set; }

        public JsonElement? CorrelationId { get; private set; }

        public static Fields Of(JsonElement command)
        {
            var fields = new Fields();
            foreach (var property in command.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name.ToUpperInvariant())
                {
                    case "EMAILID": fields.EmailId = value; break;
                    case "PRODUCERKEY": fields.ProducerKey = value; break;
                    case "APPID": fields.AppId = value; break;
                    case "FROM": fields.From = value; break;
                    case "TO": fields.To = value; break;
                    case "REPLYTO": fields.ReplyTo = value; break;
                    case "SUBJECT": fields.Subject = value; break;
                    case "TEXT": fields.Text = value; break;
                    case "HTML": fields.Html = value; break;
                    case "ATTACHMENTS": fields.Attachments = value; break;
                    case "MESSAGEID": fields.MessageId = value; break;
                    case "METADATA": fields.Metadata = value; break;
                    case "CORRELATIONID": fields.CorrelationId = value; break;
                }
            }

            return fields;
        }
    }

    /// <summary>The scalars that matter for a history row, as far as a broken body could be read.</summary>
    private sealed class Salvaged
    {
        public EmailIdToken EmailId { get; private set; }

        public EmailIdToken ProducerKey { get; private set; }

        public string? AppId { get; private set; }

        public string? From { get; private set; }

        public string? To { get; private set; }

        public string? Subject { get; private set; }

        public void Take(string? name, ref Utf8JsonReader reader)
        {
            var token = EmailIdToken.Of(ref reader);
            if (Is(name, "emailId"))
                EmailId = token;
            else if (Is(name, "producerKey"))
                ProducerKey = token;
            else if (Is(name, "appId") && token.Kind is JsonValueKind.String or JsonValueKind.Number)
                AppId = token.Text;
            else if (Is(name, "subject") && token.Kind == JsonValueKind.String)
                Subject = token.Text;
            else if (Is(name, "from") && token.Kind == JsonValueKind.String)
                From = token.Text;
            else if (Is(name, "to") && token.Kind == JsonValueKind.String)
                To = token.Text;
        }
    }
}
