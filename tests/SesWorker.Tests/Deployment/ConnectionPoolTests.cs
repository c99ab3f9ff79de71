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
    [InlineData("Host=postgres;Database=sesworker", 32, 40, 32, true)]
    [InlineData("Host=postgres;Database=sesworker", 8, 16, 32, true)]
    [InlineData("Host=postgres;Maximum Pool Size=12;Max Auto Prepare=5;No Reset On Close=false", 32, 12, 5, false)]
    public void The_worker_sets_its_connection_defaults_only_where_the_connection_string_is_silent(
        string given, int turns, int maxPoolSize, int maxAutoPrepare, bool noResetOnClose)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(given);
        SesWorkerHostExtensions.Configure(connectionString, maxConcurrentSends: turns);

        Assert.Equal(maxPoolSize, connectionString.MaxPoolSize);
        Assert.Equal(maxAutoPrepare, connectionString.MaxAutoPrepare);
        Assert.Equal(noResetOnClose, connectionString.NoResetOnClose);
    }

    /// <summary>
    /// A send holds a connection for a few short statements of its turn, most of which is the provider's replies: more
    /// turns (a distant provider) do not grow the pool past 40, so replicas with 128 turns each stay under PostgreSQL's
    /// connection limit (three at turns + 8 would have opened 408 against the 200 the compose file allows).
    /// </summary>
    [Theory]
    [InlineData(32, 40)]
    [InlineData(64, 40)]
    [InlineData(128, 40)]
    [InlineData(4096, 40)]
    public void More_turns_do_not_grow_the_pool_past_forty(int turns, int maxPoolSize)
    {
        var connectionString = new NpgsqlConnectionStringBuilder("Host=postgres;Database=sesworker");
        SesWorkerHostExtensions.Configure(connectionString, maxConcurrentSends: turns);

        Assert.Equal(maxPoolSize, connectionString.MaxPoolSize);
    }
}
