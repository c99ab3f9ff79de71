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

    [Fact]
    public void Unset_the_pool_follows_the_turns_statements_are_prepared_and_connections_come_back_without_a_reset()
    {
        var connectionString = new NpgsqlConnectionStringBuilder("Host=postgres;Database=sesworker");
        SesWorkerHostExtensions.Configure(connectionString, maxConcurrentSends: 32);

        Assert.Equal(40, connectionString.MaxPoolSize);
        Assert.Equal(32, connectionString.MaxAutoPrepare);
        Assert.True(connectionString.NoResetOnClose);
    }

    [Fact]
    public void What_the_connection_string_sets_is_kept()
    {
        var connectionString = new NpgsqlConnectionStringBuilder("Host=postgres;Maximum Pool Size=12;Max Auto Prepare=5;No Reset On Close=false");
        SesWorkerHostExtensions.Configure(connectionString, maxConcurrentSends: 32);

        Assert.Equal(12, connectionString.MaxPoolSize);
        Assert.Equal(5, connectionString.MaxAutoPrepare);
        Assert.False(connectionString.NoResetOnClose);
    }
}
