using RabbitMQ.Client;

namespace SesWorker.Messaging;

/// <summary>The broker address from <c>ConnectionStrings:RabbitMq</c> (an amqp:// URI), split for MassTransit and RabbitMQ.Client.</summary>
public sealed class RabbitMqConnection
{
    public RabbitMqConnection(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException("ConnectionStrings:RabbitMq must be an amqp:// or amqps:// URI, e.g. amqp://guest:guest@127.0.0.1:5672/.");
        Uri = parsed;
        var userInfo = parsed.UserInfo.Split(':', 2);
        Username = userInfo.Length > 0 && userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        var path = parsed.AbsolutePath.TrimStart('/');
        VirtualHost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        Port = parsed.IsDefaultPort || parsed.Port < 0 ? (parsed.Scheme == "amqps" ? 5671 : 5672) : parsed.Port;
    }

    public Uri Uri { get; }

    public string Host => Uri.Host;

    public int Port { get; }

    public string VirtualHost { get; }

    public string Username { get; }

    internal string Password { get; }

    public bool UseTls => Uri.Scheme == "amqps";

    public ConnectionFactory CreateFactory() => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = Password,
        Ssl = new SslOption { Enabled = UseTls, ServerName = Host },
    };

    public override string ToString() => $"{Uri.Scheme}://{Host}:{Port}/{VirtualHost.TrimStart('/')}";
}
