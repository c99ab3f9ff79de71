namespace SesWorker.IntegrationTests.Independent;

/// <summary>One accepted transaction, on the independent provider's clock (seconds since the Unix epoch).</summary>
internal sealed record ProviderTransaction(string User, double MailFromAt, double EndOfDataAt, int Recipients, long Size)
{
    public DateTimeOffset MailFrom => DateTimeOffset.UnixEpoch.AddSeconds(MailFromAt);

    public DateTimeOffset EndOfData => DateTimeOffset.UnixEpoch.AddSeconds(EndOfDataAt);
}
