using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace SesWorker.Worker.Observability;

/// <summary>Ready only while PostgreSQL answers: without it there is no claim and no limiter slot, so no send.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The exception's message names the host and the failure, never the password.
            return new HealthCheckResult(context.Registration.FailureStatus, $"PostgreSQL does not answer: {e.Message}");
        }
    }
}
