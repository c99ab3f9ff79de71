namespace SesWorker.Core.Limiting;

/// <param name="Granted">A slot was reserved.</param>
/// <param name="Wait">How long until the reserved (or the next free) slot.</param>
/// <param name="NewTheoreticalArrival">The key's TAT after this call.</param>
/// <param name="RetryAfter">When not granted: how long until a reservation would fit within the maximum wait.</param>
public readonly record struct GcraDecision(bool Granted, TimeSpan Wait, DateTimeOffset NewTheoreticalArrival, TimeSpan RetryAfter);
