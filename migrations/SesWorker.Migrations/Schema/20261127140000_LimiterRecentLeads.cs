using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SesWorker.Persistence;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <summary>
    /// Beside each recent slot, the shared lead its send started with (<c>recent_leads</c>): a slot given a second's span
    /// after a late one's count also moves back by what the lead grew since, so the MAIL FROMs stay a second's span apart,
    /// not only the ends of DATA. A runtime column: the history model (EF) does not map it, so the model snapshot does
    /// not change. Rows from before it start with an empty list (the limiter aligns the lists from their ends).
    /// </summary>
    [DbContext(typeof(SesWorkerDbContext))]
    [Migration("20261127140000_LimiterRecentLeads")]
    public partial class LimiterRecentLeads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE rate_limits ADD COLUMN recent_leads interval[] NOT NULL DEFAULT '{}';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE rate_limits DROP COLUMN recent_leads;");
        }
    }
}
