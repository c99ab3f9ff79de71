using Npgsql;

namespace SesWorker.Cli.Commands.History;

/// <summary>One row of the <c>email_history</c> view, as the CLI prints it.</summary>
internal sealed record HistoryRow(
    Guid EmailId,
    string? ProducerKey,
    string? AppId,
    string? From,
    IReadOnlyList<string> To,
    string? Subject,
    string Status,
    string? FailureCode,
    string? FailureMessage,
    int Attempts,
    int? SmtpStatus,
    string? SmtpReply,
    string? ProviderRequestId,
    long? SizeBytes,
    string? MessageId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt,
    DateTimeOffset? CompletedAt,
    string? LastOutcome,
    int DuplicateCopies)
{
    public const string Columns = """
        email_id, producer_key, app_id, from_address, to_addresses, subject, status, failure_code, failure_message, attempts,
        smtp_status, smtp_reply, provider_request_id, size_bytes, message_id, created_at, sent_at, completed_at, last_outcome,
        duplicate_copies
        """;

    public static HistoryRow Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        Text(reader, 1),
        Text(reader, 2),
        Text(reader, 3),
        reader.IsDBNull(4) ? [] : reader.GetFieldValue<string[]>(4),
        Text(reader, 5),
        reader.GetString(6),
        Text(reader, 7),
        Text(reader, 8),
        reader.GetInt32(9),
        reader.IsDBNull(10) ? null : reader.GetInt32(10),
        Text(reader, 11),
        Text(reader, 12),
        reader.IsDBNull(13) ? null : reader.GetInt64(13),
        Text(reader, 14),
        reader.GetFieldValue<DateTimeOffset>(15),
        reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16),
        reader.IsDBNull(17) ? null : reader.GetFieldValue<DateTimeOffset>(17),
        Text(reader, 18),
        reader.GetInt32(19));

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>"a@b" or "a@b +50" for a mail to 51.</summary>
    public string Recipients => To.Count switch
    {
        0 => "-",
        1 => To[0],
        _ => $"{To[0]} +{To.Count - 1}",
    };
}
