using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SesWorker.Worker.Accounts;

namespace SesWorker.Worker.Observability;

/// <summary>
/// Ready only while the accounts are valid: the same validation as at start, run again, because a password
/// file mounted from a secret can vanish or a variable can be unset under a running process.
/// </summary>
internal sealed class AccountsHealthCheck(IOptions<SesOptions> options, IEnumerable<IValidateOptions<SesOptions>> validators) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failures = validators
            .Select(v => v.Validate(Options.DefaultName, options.Value))
            .Where(r => r.Failed)
            .SelectMany(r => r.Failures ?? [])
            .ToList();
        return Task.FromResult(failures.Count == 0
            ? HealthCheckResult.Healthy($"{options.Value.Accounts.Count} account(s)")
            : new HealthCheckResult(context.Registration.FailureStatus, string.Join(" ", failures)));
    }
}
