namespace SesWorker.Contracts;

public sealed record EmailAddress
{
    public required string Address { get; init; }

    public string? Name { get; init; }
}
