using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <inheritdoc />
    public partial class HistoryAtScale : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "producer_key",
                table: "email_messages",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_email_messages_created_at",
                table: "email_messages",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_email_messages_failure_code_created_at",
                table: "email_messages",
                columns: new[] { "failure_code", "created_at" },
                filter: "failure_code IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_email_messages_status_created_at",
                table: "email_messages",
                columns: new[] { "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_email_messages_to_addresses",
                table: "email_messages",
                column: "to_addresses")
                .Annotation("Npgsql:IndexMethod", "gin");

            // The producer's key joins the history view (appended: a view's existing columns keep their order).
            migrationBuilder.Sql("""
                CREATE OR REPLACE VIEW email_history AS
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
                """);

            // Per appId over time: emails created per minute and how they ended. Filter on app_id (index) and minute.
            migrationBuilder.Sql("""
                CREATE VIEW app_activity AS
                SELECT app_id,
                       date_bin('1 minute', created_at, TIMESTAMPTZ '2000-01-01') AS minute,
                       count(*) AS emails,
                       count(*) FILTER (WHERE status = 'sent') AS sent,
                       count(*) FILTER (WHERE status = 'failed') AS failed,
                       count(*) FILTER (WHERE status = 'dead_lettered') AS dead_lettered,
                       count(*) FILTER (WHERE status NOT IN ('sent', 'failed', 'dead_lettered')) AS pending,
                       sum(size_bytes) FILTER (WHERE status = 'sent') AS sent_bytes
                FROM email_messages
                GROUP BY app_id, date_bin('1 minute', created_at, TIMESTAMPTZ '2000-01-01');
                """);

            // The aggregated views group by a time bucket: PostgreSQL pushes a filter on the bucket below the GROUP BY,
            // and these expression indexes answer it (date_bin is immutable; date_trunc on timestamptz is not).
            migrationBuilder.Sql("""
                CREATE INDEX ix_email_messages_app_id_minute ON email_messages (app_id, date_bin('1 minute', created_at, TIMESTAMPTZ '2000-01-01'));
                CREATE INDEX ix_email_messages_failures_hour ON email_messages (date_bin('1 hour', created_at, TIMESTAMPTZ '2000-01-01')) WHERE failure_code IS NOT NULL;
                """);

            // Per recipient: one row per (email, recipient). For one address, `email_history WHERE to_addresses @> ARRAY['a@b']`
            // uses the GIN index; this view is for questions across recipients (who got most, who failed most).
            migrationBuilder.Sql("""
                CREATE VIEW email_recipients AS
                SELECT r.recipient, e.email_id, e.app_id, e.from_address, e.subject, e.status, e.failure_code, e.created_at, e.sent_at
                FROM email_messages e
                CROSS JOIN LATERAL unnest(e.to_addresses) AS r(recipient);
                """);

            // Failures by code: what went wrong, for whom, how often, per hour.
            migrationBuilder.Sql("""
                CREATE VIEW failures_by_code AS
                SELECT failure_code, app_id, status,
                       date_bin('1 hour', created_at, TIMESTAMPTZ '2000-01-01') AS hour,
                       count(*) AS emails,
                       max(updated_at) AS last_seen,
                       (array_agg(failure_message ORDER BY updated_at DESC))[1] AS last_message
                FROM email_messages
                WHERE failure_code IS NOT NULL
                GROUP BY failure_code, app_id, status, date_bin('1 hour', created_at, TIMESTAMPTZ '2000-01-01');
                """);

            // One email's attempts, with the email's keys so a producer key or appId finds them too.
            migrationBuilder.Sql("""
                CREATE VIEW email_attempts AS
                SELECT a.email_id, e.producer_key, e.app_id, a.attempt_number, a.worker_id, a.started_at, a.ended_at,
                       a.outcome, a.smtp_status, a.enhanced_code, a.provider_code, a.provider_message, a.request_id, a.smtp_reply
                FROM send_attempts a
                JOIN email_messages e ON e.email_id = a.email_id;
                """);

            // A read-only group role for dashboards and support staff: members (LOGIN roles granted it) can read every
            // table and view, now and later (default privileges of the role that runs migrations), and write nothing.
            // Roles are cluster-wide, hence the existence check: several databases may share a server.
            migrationBuilder.Sql("""
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sesworker_reader') THEN
                        CREATE ROLE sesworker_reader NOLOGIN;
                    END IF;
                END
                $$;
                GRANT USAGE ON SCHEMA public TO sesworker_reader;
                GRANT SELECT ON ALL TABLES IN SCHEMA public TO sesworker_reader;
                ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO sesworker_reader;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // The role stays: other databases on the server may use it. Only this database's grants go.
            migrationBuilder.Sql("""
                ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM sesworker_reader;
                REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM sesworker_reader;
                REVOKE USAGE ON SCHEMA public FROM sesworker_reader;
                DROP VIEW email_attempts;
                DROP VIEW failures_by_code;
                DROP VIEW email_recipients;
                DROP VIEW app_activity;
                DROP VIEW email_history;
                DROP INDEX ix_email_messages_app_id_minute;
                DROP INDEX ix_email_messages_failures_hour;
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

            migrationBuilder.DropIndex(
                name: "ix_email_messages_created_at",
                table: "email_messages");

            migrationBuilder.DropIndex(
                name: "ix_email_messages_failure_code_created_at",
                table: "email_messages");

            migrationBuilder.DropIndex(
                name: "ix_email_messages_status_created_at",
                table: "email_messages");

            migrationBuilder.DropIndex(
                name: "ix_email_messages_to_addresses",
                table: "email_messages");

            migrationBuilder.DropColumn(
                name: "producer_key",
                table: "email_messages");
        }
    }
}
