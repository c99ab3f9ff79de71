namespace SesWorker.Worker.Smtp;

/// <summary>
/// Holds a message's content until its moment. Inactive until armed (the recipients were accepted), then the first
/// write of content waits for <c>pass</c>, once.
/// </summary>
public sealed class ContentGate(Func<CancellationToken, Task> pass)
{
    private readonly Lock _lock = new();
    private bool _armed;
    private Task? _passing;

    public bool Passed { get; private set; }

    public void Arm()
    {
        lock (_lock)
            _armed = true;
    }

    public Task PassAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_armed)
                return Task.CompletedTask;
            Passed = true;
            return _passing ??= pass(cancellationToken);
        }
    }
}
