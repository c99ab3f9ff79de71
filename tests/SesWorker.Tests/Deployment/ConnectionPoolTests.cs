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

    /// <summary>
    /// Unset: the pool follows the turns, statements are prepared and connections come back without a reset. What the
    /// connection string sets is kept.
    /// </summary>
    [Theory]
    [InlineData("Host=postgres;Database=sesworker", 40, 32, true)]
    [InlineData("Host=postgres;Maximum Pool Size=12;Max Auto Prepare=5;No Reset On Close=false", 12, 5, false)]
    public void The_worker_sets_its_connection_defaults_only_where_the_connection_string_is_silent(
        string given, int maxPoolSize, int maxAutoPrepare, bool noResetOnClose)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(given);
        SesWorkerHostExtensions.Configure(connectionString, maxConcurrentSends: 32);

        Assert.Equal(maxPoolSize, connectionString.MaxPoolSize);
        Assert.Equal(maxAutoPrepare, connectionString.MaxAutoPrepare);
        Assert.Equal(noResetOnClose, connectionString.NoResetOnClose);
    }
}
