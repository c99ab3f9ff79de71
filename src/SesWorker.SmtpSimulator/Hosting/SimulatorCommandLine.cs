using System.Globalization;

namespace SesWorker.SmtpSimulator.Hosting;

internal sealed class SimulatorCommandLine
{
    public const string Usage =
        "usage: SesWorker.SmtpSimulator --port 2465 [--host 127.0.0.1] [--certificate-out cert.pem] [--record-dir dir] " +
        "--account APPID:USER:PASSWORD [--account ...] [--rate 20] [--per-recipient-hour 10] [--no-rules] [--retain 100000] " +
        "[--latency [REPLY=]SPEC ...] [--hold-end-of-data N@DURATION] [--latency-seed N] [--data-rate BYTES_PER_SECOND]\n" +
        "  SPEC: 0 | 100ms | 100ms±30ms (or 100ms+-30ms) | 1%@2s | 100ms±30ms,1%@2s; " +
        "REPLY: greeting, ehlo, auth, mail, rcpt, data, end-of-data, rset, noop, quit\n" +
        "  BYTES_PER_SECOND: how fast message content is read (a link's bandwidth); 0, the default, is localhost speed";

    public SimulatorOptions Options { get; } = new();

    public string? CertificateOut { get; private set; }

    public static bool TryParse(string[] args, out SimulatorCommandLine commandLine, out string error)
    {
        commandLine = new SimulatorCommandLine();
        var options = commandLine.Options;
        error = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--no-rules")
            {
                options.EnforceRules = false;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return false;
            }

            var value = args[++i];
            try
            {
                if (ApplyNetwork(options, name, value))
                {
                    continue;
                }
            }
            catch (FormatException e)
            {
                error = $"{name}: {e.Message}";
                return false;
            }

            switch (name)
            {
                case "--port":
                    options.Port = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--host":
                    options.Host = value;
                    break;
                case "--certificate-out":
                    commandLine.CertificateOut = value;
                    break;
                case "--record-dir":
                    options.RecordDirectory = value;
                    break;
                case "--rate":
                    options.RatePerSecondPerAppId = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--per-recipient-hour":
                    options.PerRecipientPerHour = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--retain":
                    options.MaxRetainedMessages = int.Parse(value, CultureInfo.InvariantCulture);
                    options.MaxRetainedTransactions = options.MaxRetainedMessages * 5;
                    break;
                case "--account":
                    // The password is last and may itself contain ':'.
                    var parts = value.Split(':', 3);
                    if (parts.Length != 3)
                    {
                        error = "--account expects APPID:USER:PASSWORD";
                        return false;
                    }

                    options.Accounts.Add(new SimulatorAccount { AppId = parts[0], Username = parts[1], Password = parts[2] });
                    break;
                default:
                    error = $"unknown option {name}";
                    return false;
            }
        }

        if (options.Accounts.Count == 0)
        {
            error = "at least one --account is required";
            return false;
        }

        return true;
    }

    /// <summary>The options of the network between sender and provider; a bad value throws <see cref="FormatException"/>, reported with the option's name.</summary>
    private static bool ApplyNetwork(SimulatorOptions options, string name, string value)
    {
        switch (name)
        {
            case "--latency":
                options.Latency.Apply(value);
                return true;
            case "--hold-end-of-data":
                options.Latency.ApplyHold(value);
                return true;
            case "--latency-seed":
                options.Latency.Seed = int.Parse(value, CultureInfo.InvariantCulture);
                return true;
            case "--data-rate":
                options.DataBytesPerSecond = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rate)
                    ? rate
                    : throw new FormatException("expects BYTES_PER_SECOND, 0 or more");
                return true;
            default:
                return false;
        }
    }
}
