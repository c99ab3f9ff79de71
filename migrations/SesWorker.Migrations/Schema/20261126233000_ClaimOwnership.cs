using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SesWorker.Persistence;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <summary>
    /// Claims belong to live workers (a heartbeat row each), and every write after a claim is fenced by its token.
    /// The daily-quota pause moves to a logged table of its own (it must survive a crash or a failover), and the
    /// limiter row learns the adaptive step-down and the shared lead time. Runtime columns only: the history model
    /// (EF) does not map them, so the model snapshot does not change.
    /// </summary>
    [DbContext(typeof(SesWorkerDbContext))]
    [Migration("20261126233000_ClaimOwnership")]
    public partial class ClaimOwnership : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE workers (
                    worker_id text PRIMARY KEY,
                    started_at timestamptz NOT NULL DEFAULT now(),
                    heartbeat_at timestamptz NOT NULL DEFAULT now()
                );
                ALTER TABLE email_messages
                    ADD COLUMN claim_token uuid,
                    ADD COLUMN transmitting_at timestamptz,
                    ADD COLUMN not_sent_since timestamptz;
                CREATE TABLE app_pauses (
                    app_id text PRIMARY KEY,
                    until timestamptz NOT NULL,
                    code text NOT NULL,
                    reason text,
                    paused_at timestamptz NOT NULL DEFAULT now()
                );
                INSERT INTO app_pauses (app_id, until, code)
                    SELECT substring(key FROM length('pause:app:') + 1), tat, 'FailedOperation.ExceedSendLimit'
                    FROM rate_limits WHERE key LIKE 'pause:app:%' AND tat > now();
                DELETE FROM rate_limits WHERE key LIKE 'pause:%';
                ALTER TABLE rate_limits
                    ADD COLUMN penalty double precision NOT NULL DEFAULT 1,
                    ADD COLUMN penalized_at timestamptz,
                    ADD COLUMN lead interval NOT NULL DEFAULT '0';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE rate_limits DROP COLUMN penalty, DROP COLUMN penalized_at, DROP COLUMN lead;
                DROP TABLE app_pauses;
                ALTER TABLE email_messages DROP COLUMN claim_token, DROP COLUMN transmitting_at, DROP COLUMN not_sent_since;
                DROP TABLE workers;
                """);
        }
    }
}
