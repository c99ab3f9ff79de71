using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SesWorker.Persistence;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <summary>
    /// Copies of an email that arrive after it is done (a producer that published it twice, a redelivery after a lost
    /// acknowledgement) are acknowledged without sending and counted on its row; the history view shows the count.
    /// A runtime column: the history model (EF) does not map it, so the model snapshot does not change.
    /// </summary>
    [DbContext(typeof(SesWorkerDbContext))]
    [Migration("20261127031500_DuplicateCopies")]
    public partial class DuplicateCopies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Appended to the view: its existing columns keep their order.
            migrationBuilder.Sql("""
                ALTER TABLE email_messages ADD COLUMN duplicate_copies integer NOT NULL DEFAULT 0;
                CREATE OR REPLACE VIEW email_history AS
                SELECT e.email_id, e.app_id, e.from_address, e.to_addresses, e.subject, e.message_id, e.correlation_id,
                       e.status, e.failure_code, e.failure_message, e.attempts, e.smtp_status, e.smtp_reply,
                       e.provider_request_id, e.size_bytes, e.metadata, e.created_at, e.sent_at, e.completed_at,
                       a.outcome AS last_outcome, a.provider_code AS last_provider_code, a.worker_id AS last_worker_id,
                       a.ended_at AS last_attempt_at, e.producer_key, e.duplicate_copies
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
            migrationBuilder.Sql("""
                DROP VIEW email_history;
                CREATE VIEW email_history AS
                SELECT e.email_id, e.app_id, e.from_address, e.to_addresses, e.subject, e.message_id, e.correlation_id,
                       e.status, e.failure_code, e.failure_message, e.attempts, e.smtp_status, e.smtp_reply,
                       e.provider_request_id, e.size_bytes, e.metadata, e.created_at, e.sent_at, e.completed_at,
                       a.outcome AS last_outcome, a.provider_code AS last_provider_code, a.worker_id AS last_worker_id,
                       a.ended_at AS last_attempt_at, e.producer_key
                FROM email_messages e
                LEFT JOIN LATERAL (
                    SELECT outcome, provider_code, worker_id, ended_at FROM send_attempts s
                    WHERE s.email_id = e.email_id ORDER BY s.attempt_number DESC LIMIT 1
                ) a ON true;
                GRANT SELECT ON email_history TO sesworker_reader;
                ALTER TABLE email_messages DROP COLUMN duplicate_copies;
                """);
        }
    }
}
