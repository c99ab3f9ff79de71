using Microsoft.EntityFrameworkCore;
using SesWorker.Persistence.History;

namespace SesWorker.Persistence;

public sealed class SesWorkerDbContext(DbContextOptions<SesWorkerDbContext> options) : DbContext(options)
{
    public const string MigrationsAssembly = "SesWorker.Migrations";

    public DbSet<EmailMessage> EmailMessages => Set<EmailMessage>();

    public DbSet<SendAttempt> SendAttempts => Set<SendAttempt>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SesWorkerDbContext).Assembly);
    }

    /// <summary>The one place the provider options are set, for the worker, the CLI, the tests and design time.</summary>
    public static void Configure(DbContextOptionsBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly))
            .UseSnakeCaseNamingConvention();
    }
}
