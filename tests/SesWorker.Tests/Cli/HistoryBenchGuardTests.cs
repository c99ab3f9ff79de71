using SesWorker.Cli;
using SesWorker.Cli.Commands;

namespace SesWorker.Tests.Cli;

public sealed class HistoryBenchGuardTests
{
    [Fact]
    public async Task The_connection_strings_own_database_is_refused_before_any_connection()
    {
        // What an operator may type on production: with --reuse the old code dropped the database all the same
        // whenever it held fewer than --rows rows.
        var (exitCode, output) = await CliHarness.RunAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = CliHarness.NoPostgres + ";Database=sesworker" },
            "bench-history", "--database", "sesworker", "--reuse");

        Assert.Equal(2, exitCode);
        Assert.Contains("sesworker", output, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=db;Database=sesworker", "sesworker", true)]
    [InlineData("Host=db;Database=\"sesworker\"", "sesworker", true)]
    [InlineData("host=db; database = sesworker ; username=app", "sesworker", true)]
    // No database named: Npgsql connects to the one named after the user.
    [InlineData("Host=db;Username=sesworker", "sesworker", true)]
    // The bench quotes its name, so PostgreSQL takes it as written: "SesWorker" is another database than sesworker.
    [InlineData("Host=db;Database=sesworker", "SesWorker", false)]
    [InlineData("Host=db;Database=sesworker", "sesworker_history_bench", false)]
    public void The_target_is_compared_with_the_database_the_connection_string_names(string connectionString, string database, bool refused)
    {
        var refusal = HistoryBenchCommand.Refusal(connectionString, database);

        Assert.Equal(refused, refusal is not null);
        if (refusal is not null)
            Assert.Contains($"\"{database}\"", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_database_is_dropped_only_with_yes()
    {
        var refused = Assert.Throws<CliException>(() => HistoryBenchCommand.Decide("bench_x", present: true, reusable: false, yes: false));

        Assert.Contains("\"bench_x\"", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--yes", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HistoryBenchCommand.Preparation.Recreate, HistoryBenchCommand.Decide("bench_x", present: true, reusable: false, yes: true));
    }

    [Fact]
    public void A_missing_database_is_created_and_a_filled_one_reused_without_yes()
    {
        Assert.Equal(HistoryBenchCommand.Preparation.Create, HistoryBenchCommand.Decide("bench_x", present: false, reusable: false, yes: false));
        Assert.Equal(HistoryBenchCommand.Preparation.Reuse, HistoryBenchCommand.Decide("bench_x", present: true, reusable: true, yes: false));
    }
}
