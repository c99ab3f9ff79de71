using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace SesWorker.SmtpSimulator.Tests;

/// <summary>A byte-level SMTP client over TLS, for what MailKit would not send (bad dot-stuffing, long lines, odd MIME).</summary>
internal sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly SslStream ssl;
    private readonly StreamReader reader;

    private RawSmtpClient(TcpClient tcp, SslStream ssl)
    {
        this.tcp = tcp;
        this.ssl = ssl;
        reader = new StreamReader(ssl, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }

    public string Greeting { get; private set; } = string.Empty;

    public static async Task<RawSmtpClient> ConnectAsync(SmtpSimulatorServer server)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port, TestSmtp.Ct);
        var expected = server.Certificate.GetCertHashString();
        var ssl = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate?.GetCertHashString() == expected);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestSmtp.Ct);
        var client = new RawSmtpClient(tcp, ssl);
        client.Greeting = await client.ReadReplyAsync();
        return client;
    }

    /// <summary>Connects, greets and authenticates with AUTH PLAIN.</summary>
    public static async Task<RawSmtpClient> LoginAsync(SmtpSimulatorServer server, string user = TestSmtp.Sender)
    {
        var client = await ConnectAsync(server);
        await client.CommandAsync("EHLO test");
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{TestSmtp.Password}"));
        var reply = await client.CommandAsync($"AUTH PLAIN {token}");
        Assert.StartsWith("235", reply, StringComparison.Ordinal);
        return client;
    }

    /// <summary>Sends one command line and returns the (last line of the) reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        return await ReadReplyAsync();
    }

    public async Task WriteAsync(byte[] bytes)
    {
        await ssl.WriteAsync(bytes, TestSmtp.Ct);
        await ssl.FlushAsync(TestSmtp.Ct);
    }

    /// <summary>Runs MAIL, RCPT, DATA and sends <paramref name="data"/> as is (it must end with CRLF.CRLF); returns the final reply.</summary>
    public async Task<string> SendAsync(string data, string from = TestSmtp.Sender, params string[] recipients)
    {
        Assert.StartsWith("250", await CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
        foreach (var recipient in recipients.Length == 0 ? ["user@example.org"] : recipients)
        {
            Assert.StartsWith("250", await CommandAsync($"RCPT TO:<{recipient}>"), StringComparison.Ordinal);
        }

        Assert.StartsWith("354", await CommandAsync("DATA"), StringComparison.Ordinal);
        await WriteAsync(Encoding.UTF8.GetBytes(data));
        return await ReadReplyAsync();
    }

    /// <summary>Reads a reply and returns its last line, or an empty string when the server closed the connection.</summary>
    public async Task<string> ReadReplyAsync()
    {
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(TestSmtp.Ct);
            }
            catch (IOException)
            {
                return string.Empty;
            }

            if (line is null)
            {
                return string.Empty;
            }

            if (line.Length < 4 || line[3] != '-')
            {
                return line;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        reader.Dispose();
        await ssl.DisposeAsync();
        tcp.Dispose();
    }
}
