using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SesWorker.Persistence;

namespace SesWorker.Migrations;

/// <summary>Lets `dotnet ef` build the model without a host. The connection is only used by commands that touch a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<SesWorkerDbContext>
{
    public SesWorkerDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
            ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=sesworker";
        var builder = new DbContextOptionsBuilder<SesWorkerDbContext>();
        SesWorkerDbContext.Configure(builder, connectionString);
        return new SesWorkerDbContext(builder.Options);
    }
}
