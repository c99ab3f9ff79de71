using SesWorker.Contracts.Reading;

namespace SesWorker.Client;

/// <summary>The row id the worker will use: a new GUID, a GUID as given, or the UUIDv5 of the producer's own key.</summary>
public static class EmailIds
{
    public static (Guid EmailId, string? ProducerKey) New() => (Guid.NewGuid(), null);

    /// <summary>A GUID is used as it is; any other key (up to 255 characters) maps to the same id the worker derives.</summary>
    public static (Guid EmailId, string? ProducerKey) From(string? appId, string idOrKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrKey);
        if (Guid.TryParse(idOrKey, out var guid))
            return (guid, null);
        if (idOrKey.Length > SendEmailReader.MaxProducerKeyLength)
            throw new ArgumentException($"A producer key has at most {SendEmailReader.MaxProducerKeyLength} characters.", nameof(idOrKey));
        return (SendEmailReader.EmailIdFor(appId, idOrKey), idOrKey);
    }
}
