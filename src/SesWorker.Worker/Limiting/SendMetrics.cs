using System.Diagnostics.Metrics;

namespace SesWorker.Worker.Limiting;

/// <summary>
/// The worker's meter (System.Diagnostics.Metrics, name "SesWorker", for any OpenTelemetry exporter), plus
/// bounded in-process samples of the limiter latencies so a summary can be logged at shutdown.
/// </summary>
public sealed class SendMetrics : IDisposable
{
    public const string MeterName = "SesWorker";
    private const int MaxSamples = 200_000;

    private readonly Meter _meter;
    private readonly Histogram<double> _acquire;
    private readonly Histogram<double> _wait;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _lateSends;
    private readonly Counter<long> _rateSteps;
    private readonly Counter<long> _excuses;
    private readonly Lock _gate = new();
    private readonly List<double> _acquireSamples = [];
    private readonly List<double> _waitSamples = [];

    public SendMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _acquire = _meter.CreateHistogram<double>("sesworker.limiter.acquire.duration", "ms", "One round trip to the distributed limiter.");
        _wait = _meter.CreateHistogram<double>("sesworker.limiter.wait.duration", "ms", "Time a send waited for its rate-limit slot (not an attempt).");
        _outcomes = _meter.CreateCounter<long>("sesworker.sends", description: "Send outcomes by status.");
        _lateSends = _meter.CreateCounter<long>("sesworker.limiter.late_sends", description: "Sends whose go-ahead for the content came after their slot, so they took a fresh one.");
        _excuses = _meter.CreateCounter<long>("sesworker.limiter.excused", description: "Sends a little late for their slot, for which the appId's later slots moved back instead.");
        _rateSteps = _meter.CreateCounter<long>("sesworker.limiter.rate_steps", description: "Step-downs of an appId's rate after the provider throttled it.");
    }

    public void RecordAcquire(TimeSpan elapsed)
    {
        _acquire.Record(elapsed.TotalMilliseconds);
        Sample(_acquireSamples, elapsed.TotalMilliseconds);
    }

    public void RecordWait(TimeSpan elapsed)
    {
        _wait.Record(elapsed.TotalMilliseconds);
        Sample(_waitSamples, elapsed.TotalMilliseconds);
    }

    public long LateSends => Interlocked.Read(ref _lateSendCount);

    private long _lateSendCount;

    public void RecordLateSend()
    {
        _lateSends.Add(1);
        Interlocked.Increment(ref _lateSendCount);
    }

    public long Excuses => Interlocked.Read(ref _excuseCount);

    /// <summary>Slots granted since the process started.</summary>
    public long Slots => Interlocked.Read(ref _slotCount);

    /// <summary>Of those, slots with room before them: the appId was sending below its rate.</summary>
    public long SlotsBelowRate => Interlocked.Read(ref _slotBelowRateCount);

    private long _slotCount;
    private long _slotBelowRateCount;

    /// <summary>A slot granted; <paramref name="belowRate"/> when it had room before it (the appId's schedule not full).</summary>
    public void RecordSlot(bool belowRate)
    {
        Interlocked.Increment(ref _slotCount);
        if (belowRate)
            Interlocked.Increment(ref _slotBelowRateCount);
    }

    private long _excuseCount;

    public void RecordExcuse()
    {
        _excuses.Add(1);
        Interlocked.Increment(ref _excuseCount);
    }

    public void RecordRateStep(string appId) => _rateSteps.Add(1, new KeyValuePair<string, object?>("app_id", appId));

    public void RecordOutcome(string status) => _outcomes.Add(1, new KeyValuePair<string, object?>("status", status));

    public (int Count, double P50, double P99) AcquireLatency() => Percentiles(_acquireSamples);

    public (int Count, double P50, double P99) WaitLatency() => Percentiles(_waitSamples);

    private void Sample(List<double> samples, double value)
    {
        lock (_gate)
        {
            if (samples.Count < MaxSamples)
                samples.Add(value);
        }
    }

    private (int Count, double P50, double P99) Percentiles(List<double> samples)
    {
        double[] sorted;
        lock (_gate)
            sorted = [.. samples];
        if (sorted.Length == 0)
            return (0, 0, 0);
        Array.Sort(sorted);
        return (sorted.Length, sorted[(int)(0.50 * (sorted.Length - 1))], sorted[(int)(0.99 * (sorted.Length - 1))]);
    }

    public void Dispose() => _meter.Dispose();
}
