using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;
using SesWorker.Messaging;
using SesWorker.Persistence;

namespace SesWorker.Cli.Commands;

internal static class Connections
{
    public static string Postgres(IConfiguration configuration) =>
        configuration.GetConnectionString(ConfigurationKeys.PostgresConnectionString) ?? throw new CliException("ConnectionStrings__Postgres is not set.");

    public static string RabbitMqUri(IConfiguration configuration) =>
        configuration.GetConnectionString(ConfigurationKeys.RabbitMqConnectionString) ?? throw new CliException("ConnectionStrings__RabbitMq is not set.");

    public static RabbitMqConnection RabbitMq(IConfiguration configuration) => new(RabbitMqUri(configuration));

    /// <summary>The exchange producers publish to: the worker's queue name (Worker:QueueName), send-email by default.</summary>
    public static string MainExchange(IConfiguration configuration) => configuration[ConfigurationKeys.QueueName] ?? QueueNames.SendEmail;

    public static NpgsqlDataSource DataSource(IConfiguration configuration) => NpgsqlDataSource.Create(Postgres(configuration));

    public static SesWorkerDbContext Database(IConfiguration configuration)
    {
        var builder = new DbContextOptionsBuilder<SesWorkerDbContext>();
        SesWorkerDbContext.Configure(builder, Postgres(configuration));
        return new SesWorkerDbContext(builder.Options);
    }
}
