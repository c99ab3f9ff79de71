using System.Net.Security;
using System.Security.Authentication;
using MassTransit.RabbitMqTransport.Configuration;
using SesWorker.Messaging;
using SesWorker.Worker.Hosting;

namespace SesWorker.Tests.Hosting;

public sealed class BrokerTlsTests
{
    private static readonly RabbitMqConnection Broker = new("amqps://worker:secret@broker.example.com/");

    [Fact]
    public void The_bus_checks_the_brokers_certificate_chain_and_name()
    {
        var host = new RabbitMqHostConfigurator(Broker.Host, Broker.VirtualHost, (ushort)Broker.Port);

        host.UseSsl(ssl => SesWorkerHostExtensions.ConfigureBrokerTls(ssl, Broker));

        Assert.True(host.Settings.Ssl);
        Assert.Equal(SslPolicyErrors.None, host.Settings.AcceptablePolicyErrors);
        Assert.Equal("broker.example.com", host.Settings.SslServerName);
        Assert.True(host.Settings.SslProtocol.HasFlag(SslProtocols.Tls13), "TLS 1.3 brokers are reached too");
    }

    [Fact]
    public void MassTransits_own_default_would_accept_an_unverified_chain()
    {
        // What the worker configured before (the server name only): a self-signed certificate, anyone's, was accepted.
        var host = new RabbitMqHostConfigurator(Broker.Host, Broker.VirtualHost, (ushort)Broker.Port);

        host.UseSsl(ssl => ssl.ServerName = Broker.Host);

        Assert.True(host.Settings.AcceptablePolicyErrors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors));
    }
}
