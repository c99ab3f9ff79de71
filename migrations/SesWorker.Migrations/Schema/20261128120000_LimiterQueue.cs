using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using SesWorker.Persistence;

#nullable disable

namespace SesWorker.Migrations.Schema
{
    /// <summary>
    /// The last place given to a send that found the appId's horizon full (<c>queue_tail</c>): the next such send is
    /// placed one interval behind it and told to come back when the horizon reaches its place, instead of every waiting
    /// send of every replica coming back at the same moment for one slot. A runtime column: the history model (EF) does
    /// not map it, so the model snapshot does not change. Null (rows from before it, an appId with no queue) is no queue.
    /// </summary>
    [DbContext(typeof(SesWorkerDbContext))]
    [Migration("20261128120000_LimiterQueue")]
    public partial class LimiterQueue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE rate_limits ADD COLUMN queue_tail timestamptz;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE rate_limits DROP COLUMN queue_tail;");
        }
    }
}
