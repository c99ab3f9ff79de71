namespace SesWorker.Core.Sending;

/// <param name="MaxAttempts">SMTP transactions per email for transient failures, the first included.</param>
/// <param name="ConnectOutageTolerance">How long connect failures are retried before the email is parked for longer.</param>
public sealed record SendPolicyOptions(int MaxAttempts, TimeSpan RetryBaseDelay, TimeSpan RetryMaxDelay, TimeSpan ConnectOutageTolerance);
