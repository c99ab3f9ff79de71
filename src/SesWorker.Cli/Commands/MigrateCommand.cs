using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace SesWorker.Cli.Commands;

internal static class MigrateCommand
{
    public static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        await using var db = Connections.Database(configuration);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        Console.WriteLine(pending.Count == 0
            ? "database is up to date"
            : $"applied {pending.Count} migration(s): {string.Join(", ", pending)}");
        return 0;
    }
}
