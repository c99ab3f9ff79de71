using Npgsql;

namespace SesWorker.IntegrationTests.Infrastructure;

/// <summary>Statements a test runs on the fixture's database itself (a trigger that stands in for a defect, a check).</summary>
public static class DatabaseStatements
{
    public static async Task ExecuteSqlAsync(this SesWorkerFixture fixture, string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(this SesWorkerFixture fixture, string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
