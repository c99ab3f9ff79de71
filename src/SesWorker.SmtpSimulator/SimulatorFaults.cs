using SesWorker.SmtpSimulator.Faults;
using SesWorker.SmtpSimulator.Rules;

namespace SesWorker.SmtpSimulator;

/// <summary>
/// Faults tests inject at runtime. Each applies to the transactions its <see cref="FaultTarget"/> matches, at the end
/// of DATA, for the next <c>count</c> of them; the oldest matching fault of each kind is used first. Thread-safe.
/// </summary>
public sealed class SimulatorFaults
{
    private readonly Lock gate = new();
    private readonly List<Fault> faults = [];
    private readonly TimeProvider time;
    private DateTimeOffset refuseConnectionsUntil = DateTimeOffset.MinValue;

    internal SimulatorFaults(TimeProvider time) => this.time = time;

    private enum Kind { Fail, Delay, Drop }

    /// <summary>Replies <c>replyCode enhancedCode text</c> (e.g. <c>451 4.3.0 try later</c>) to DATA; nothing is accepted.</summary>
    public void FailNext(FaultTarget target, int count, int replyCode, string enhancedCode, string text)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replyCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replyCode, 599);
        var verdict = new Verdict(replyCode, $"{enhancedCode} {text}");
        Add(new Fault(Kind.Fail, target, count) { Failure = () => verdict });
    }

    /// <summary>Replies the provider's business error (554 with the JSON) carrying <paramref name="code"/>.</summary>
    public void FailNextWithProviderCode(FaultTarget target, int count, string code, string message) =>
        Add(new Fault(Kind.Fail, target, count) { Failure = () => ProviderReplies.Business(code, message) });

    /// <summary>Holds the reply to DATA back by <paramref name="delay"/>; the transaction itself is judged on arrival.</summary>
    public void DelayData(FaultTarget target, TimeSpan delay, int count = int.MaxValue) =>
        Add(new Fault(Kind.Delay, target, count) { Delay = delay });

    /// <summary>
    /// Closes the connection after DATA instead of replying. With <paramref name="keepMessage"/> the message is judged
    /// and, if it passes, accepted as usual (the provider took it, the reply was lost); otherwise it is discarded.
    /// </summary>
    public void DropAfterData(FaultTarget target, int count, bool keepMessage = true) =>
        Add(new Fault(Kind.Drop, target, count) { KeepMessage = keepMessage });

    /// <summary>New connections are reset right after the TCP accept, before TLS, for <paramref name="duration"/>.</summary>
    public void RefuseConnectionsFor(TimeSpan duration)
    {
        lock (gate)
        {
            refuseConnectionsUntil = time.GetUtcNow() + duration;
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            faults.Clear();
            refuseConnectionsUntil = DateTimeOffset.MinValue;
        }
    }

    internal bool RefusingConnections
    {
        get
        {
            lock (gate)
            {
                return time.GetUtcNow() < refuseConnectionsUntil;
            }
        }
    }

    internal FaultPlan Take(string? username, IReadOnlyList<string> recipients)
    {
        lock (gate)
        {
            if (faults.Count == 0)
            {
                return FaultPlan.None;
            }

            var fail = TakeOne(Kind.Fail, username, recipients);
            var delay = TakeOne(Kind.Delay, username, recipients);
            var drop = TakeOne(Kind.Drop, username, recipients);
            return new FaultPlan(fail?.Failure?.Invoke(), delay?.Delay ?? TimeSpan.Zero, drop is not null, drop?.KeepMessage ?? false);
        }
    }

    private Fault? TakeOne(Kind kind, string? username, IReadOnlyList<string> recipients)
    {
        var fault = faults.Find(f => f.Kind == kind && f.Target.Matches(username, recipients));
        if (fault is not null && --fault.Remaining <= 0)
        {
            faults.Remove(fault);
        }

        return fault;
    }

    private void Add(Fault fault)
    {
        ArgumentNullException.ThrowIfNull(fault.Target);
        ArgumentOutOfRangeException.ThrowIfLessThan(fault.Remaining, 1);
        lock (gate)
        {
            faults.Add(fault);
        }
    }

    private sealed class Fault(Kind kind, FaultTarget target, int count)
    {
        public Kind Kind { get; } = kind;

        public FaultTarget Target { get; } = target;

        public int Remaining { get; set; } = count;

        public Func<Verdict>? Failure { get; init; }

        public TimeSpan Delay { get; init; }

        public bool KeepMessage { get; init; }
    }
}
