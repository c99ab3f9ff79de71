using Npgsql;
using SesWorker.Worker.Hosting;

namespace SesWorker.Tests.Deployment;

public sealed class ConnectionPoolTests
{
    [Theory]
    [InlineData("Host=postgres;Database=sesworker;Maximum Pool Size=20;Timeout=30", true)]
    [InlineData("Host=postgres;maxpoolsize=20", true)]
    [InlineData("Host=postgres;Password='a;Maximum Pool Size=3'", false)]
    [InlineData("Host=postgres;Database=sesworker;Minimum Pool Size=2", false)]
    [InlineData("Host=postgres;Database=sesworker", false)]
    public void A_pool_size_set_in_the_connection_string_is_kept(string connectionString, bool sets) =>
        Assert.Equal(sets, SesWorkerHostExtensions.SetsMaxPoolSize(new NpgsqlConnectionStringBuilder(connectionString)));
}
