using System.Collections;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;

namespace SesWorker.Cli.Commands.DeadLetters;

/// <summary>
/// AMQP header values as text. RabbitMQ.Client hands strings over as UTF-8 byte arrays, numbers as whatever
/// width the publisher chose, and x-death as lists of tables; anything may be missing or of another type.
/// </summary>
internal static class HeaderValues
{
    public static string? Text(IReadOnlyDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) && value is not null ? Format(value) : null;

    public static int? Int(IReadOnlyDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value switch
        {
            int i => i,
            long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
            short s => s,
            byte b => b,
            sbyte sb => sb,
            uint u when u <= int.MaxValue => (int)u,
            _ => int.TryParse(value is null ? null : Format(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
        } : null;

    public static DateTimeOffset? Time(IReadOnlyDictionary<string, object?> headers, string name) =>
        headers.TryGetValue(name, out var value) ? value switch
        {
            AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime),
            _ => DateTimeOffset.TryParse(value is null ? null : Format(value), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed) ? parsed : null,
        } : null;

    public static string Format(object? value) => value switch
    {
        null => "",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        bool flag => flag ? "true" : "false",
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IDictionary<string, object?> table => "{" + string.Join(", ", table.Select(e => $"{e.Key}={Format(e.Value)}")) + "}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Format)) + "]",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
