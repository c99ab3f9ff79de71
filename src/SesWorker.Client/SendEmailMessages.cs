using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using SesWorker.Contracts;
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

    /// <summary>Null when the worker would try to send it; otherwise the code and message its history row would get.</summary>
    public static SendFailure? Check(SendEmail message, SesLimits? limits = null) =>
        new SendEmailValidator(limits ?? new SesLimits()).Validate(message);

    /// <summary>Plain camelCase JSON, nulls left out: the body any language would publish.</summary>
    public static byte[] Serialize(SendEmail message) => JsonSerializer.SerializeToUtf8Bytes(message, Json);
}
