using System.CommandLine;
using Microsoft.EntityFrameworkCore;

namespace SesWorker.Cli.Commands;

internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("migrate", "Apply the EF Core migrations to ConnectionStrings:Postgres.");
        command.SetAction(context, async (_, cancellationToken) =>
        {
            await using var db = Connections.Database(context.Configuration);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            await context.Output.WriteLineAsync(pending.Count == 0
                ? "database is up to date"
                : $"applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        });
        return command;
    }
}
