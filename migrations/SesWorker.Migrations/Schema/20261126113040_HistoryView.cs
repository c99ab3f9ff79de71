using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <inheritdoc />
    public partial class HistoryView : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // One row per email with its latest attempt: what people query when asked "did my mail go out?".
            migrationBuilder.Sql("""
                CREATE VIEW email_history AS
                SELECT e.email_id, e.app_id, e.from_address, e.to_addresses, e.subject, e.message_id, e.correlation_id,
                       e.status, e.failure_code, e.failure_message, e.attempts, e.smtp_status, e.smtp_reply,
                       e.provider_request_id, e.size_bytes, e.metadata, e.created_at, e.sent_at, e.completed_at,
                       a.outcome AS last_outcome, a.provider_code AS last_provider_code, a.worker_id AS last_worker_id,
                       a.ended_at AS last_attempt_at
                FROM email_messages e
                LEFT JOIN LATERAL (
                    SELECT outcome, provider_code, worker_id, ended_at FROM send_attempts s
                    WHERE s.email_id = e.email_id ORDER BY s.attempt_number DESC LIMIT 1
                ) a ON true;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP VIEW email_history;");
        }
    }
}
