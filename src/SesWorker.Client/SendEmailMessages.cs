using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using SesWorker.Contracts;
using SesWorker.Core.Mime;
using SesWorker.Core.Sending;

namespace SesWorker.Client;

/// <summary>The worker's pre-send rules and wire form, for producers: what is refused here would be refused there.</summary>
public static class SendEmailMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Null when the worker would try to send it; otherwise the code and message its history row would get. Like the
    /// worker, it composes the message to measure it as sent (the whole message under 10 MB, the body under 1 MB as
    /// sent): attachments within 4 MB each and 8 MB in all can still be refused there, about 7.3 MB in all being the
    /// real ceiling. The composed message is measured, never kept.
    /// </summary>
    public static SendFailure? Check(SendEmail message, SesLimits? limits = null)
    {
        var validator = new SendEmailValidator(limits ?? new SesLimits());
        return validator.Validate(message) ?? validator.ValidateWire(new MimeComposer(TimeProvider.System).Compose(message));
    }

    /// <summary>Plain camelCase JSON, nulls left out: the body any language would publish.</summary>
    public static byte[] Serialize(SendEmail message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);
}
