using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace SesWorker.Worker.Observability;

/// <summary>Ready only while PostgreSQL answers: without it there is no claim and no limiter slot, so no send.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    /// <summary>The probe's own bound, beyond the check's timeout (3 s): Npgsql breaks the connection after it.</summary>
    private const int ProbeTimeoutSeconds = 5;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var probe = ProbeAsync();
        try
        {
            // Not Npgsql's cancellation: it asks the server to cancel the statement and waits for that, and a frozen
            // server answers nothing (the check took 33 s with PostgreSQL stopped by SIGSTOP). The check answers within
            // its timeout; the probe ends in the background, within its own.
            await probe.WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The exception's message names the host and the failure, never the password.
            return new HealthCheckResult(context.Registration.FailureStatus, $"PostgreSQL does not answer: {e.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = probe.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL did not answer within the check's timeout.");
        }
    }

    private async Task ProbeAsync()
    {
        await using var command = dataSource.CreateCommand("select 1");
        command.CommandTimeout = ProbeTimeoutSeconds;
        await command.ExecuteScalarAsync(CancellationToken.None);
    }
}
