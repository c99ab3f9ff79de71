namespace SesWorker.Worker.Accounts;

public sealed class SesAccountOptions
{
    public string AppId { get; set; } = string.Empty;

    /// <summary>One of the provider's endpoints; or set <see cref="Host"/> (a simulator, a proxy).</summary>
    public SesRegion? Region { get; set; }

    public string? Host { get; set; }

    public int Port { get; set; } = 465;

    public List<SesSenderOptions> Senders { get; set; } = [];

    public string ResolveHost() => Host ?? Region switch
    {
        SesRegion.HongKong => "smtp.qcloudmail.com",
        SesRegion.Guangzhou => "gz-smtp.qcloudmail.com",
        SesRegion.International => "sg-smtp.qcloudmail.com",
        _ => throw new InvalidOperationException($"Account {AppId} has neither Region nor Host."),
    };
}
