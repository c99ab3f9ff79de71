using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <inheritdoc />
    public partial class LimiterState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Limiter state is rebuilt in one interval after a crash, so it skips the WAL (UNLOGGED): cheaper hot path.
            migrationBuilder.Sql("""
                CREATE UNLOGGED TABLE rate_limits (
                    key text PRIMARY KEY,
                    tat timestamptz NOT NULL
                );
                """);
            // The hourly cap must survive a crash (the provider remembers), so this table is logged.
            migrationBuilder.Sql("""
                CREATE TABLE recipient_windows (
                    sender text NOT NULL,
                    recipient text NOT NULL,
                    sends timestamptz[] NOT NULL,
                    last_sent_at timestamptz NOT NULL,
                    PRIMARY KEY (sender, recipient)
                );
                CREATE INDEX ix_recipient_windows_last_sent_at ON recipient_windows (last_sent_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE recipient_windows; DROP TABLE rate_limits;");
        }
    }
}
