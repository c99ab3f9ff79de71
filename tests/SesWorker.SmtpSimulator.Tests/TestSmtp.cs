using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>Starts simulators and clients the way the worker will talk to the provider: implicit TLS on connect.</summary>
internal static class TestSmtp
{
    public const string AppId = "1250000001";
    public const string Sender = "noreply@mail.example.com";
    public const string Password = "Secret-Pass-123";
    public const string OtherAppId = "1250000002";
    public const string OtherSender = "alerts@other.example.com";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static SimulatorOptions Options()
    {
        var options = new SimulatorOptions();
        options.Accounts.Add(new SimulatorAccount { AppId = AppId, Username = Sender, Password = Password });
        options.Accounts.Add(new SimulatorAccount { AppId = OtherAppId, Username = OtherSender, Password = Password });
        return options;
    }

    public static Task<SmtpSimulatorServer> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = Options();
        configure?.Invoke(options);
        return SmtpSimulatorServer.StartAsync(options, cancellationToken: Ct);
    }

    public static async Task<SmtpClient> ConnectAsync(SmtpSimulatorServer server, string user = Sender, string password = Password)
    {
        var client = new SmtpClient
        {
            CheckCertificateRevocation = false,
            ServerCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHashString() == server.Certificate.GetCertHashString(),
        };
        await client.ConnectAsync("127.0.0.1", server.Port, SecureSocketOptions.SslOnConnect, Ct);
        await client.AuthenticateAsync(user, password, Ct);
        return client;
    }

    public static MimeMessage Message(string to = "user@example.org", string subject = "Hello", string text = "Hello world", string from = Sender)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }
}
