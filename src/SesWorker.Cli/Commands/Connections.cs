using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using SesWorker.Persistence;
using SesWorker.Worker.Hosting;

namespace SesWorker.Cli.Commands;

internal static class Connections
{
    public static string Postgres(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres") ?? throw new CliException("ConnectionStrings__Postgres is not set.");

    public static RabbitMqConnection RabbitMq(IConfiguration configuration) =>
        new(configuration.GetConnectionString("RabbitMq") ?? throw new CliException("ConnectionStrings__RabbitMq is not set."));

    public static SesWorkerDbContext Database(IConfiguration configuration)
    {
        var builder = new DbContextOptionsBuilder<SesWorkerDbContext>();
        SesWorkerDbContext.Configure(builder, Postgres(configuration));
        return new SesWorkerDbContext(builder.Options);
    }
}
