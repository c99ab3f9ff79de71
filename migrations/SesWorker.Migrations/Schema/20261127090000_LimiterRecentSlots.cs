using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SesWorker.Persistence;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <summary>
    /// The limiter row keeps its appId's last slots (a second's worth: <c>recent_slots</c>) and when each was really
    /// counted (<c>recent_counted</c>: later than its slot when its send was late): a slot is never given within a
    /// second's span of the one counted that many places before it, so a late send moves only the slot a second after
    /// it, not every later one. A runtime column: the history model (EF) does not
    /// map it, so the model snapshot does not change.
    /// </summary>
    [DbContext(typeof(SesWorkerDbContext))]
    [Migration("20261127090000_LimiterRecentSlots")]
    public partial class LimiterRecentSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE rate_limits
                    ADD COLUMN recent_slots timestamptz[] NOT NULL DEFAULT '{}',
                    ADD COLUMN recent_counted timestamptz[] NOT NULL DEFAULT '{}';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE rate_limits DROP COLUMN recent_slots, DROP COLUMN recent_counted;");
        }
    }
}
