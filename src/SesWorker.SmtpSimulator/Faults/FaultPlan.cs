using SesWorker.SmtpSimulator.Rules;

namespace SesWorker.SmtpSimulator.Faults;

/// <summary>What the injected faults do to one transaction at the end of DATA.</summary>
internal sealed record FaultPlan(Verdict? Failure, TimeSpan Delay, bool Drop, bool KeepMessage)
{
    public static FaultPlan None { get; } = new(null, TimeSpan.Zero, false, false);
}
