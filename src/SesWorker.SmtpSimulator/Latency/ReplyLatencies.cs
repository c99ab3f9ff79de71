using System.Globalization;

namespace SesWorker.SmtpSimulator.Latency;

/// <summary>
/// How long the simulator takes to answer, per reply: a provider a network distance away rather than on localhost.
/// Each command is handled (and counted) when its turn comes; only its reply is held back, and the next pipelined
/// command waits for it, as a server that answers in order does. A delay holds one connection only.
/// </summary>
public sealed class ReplyLatencies
{
    /// <summary>Command-line names of <see cref="SmtpReply"/>, as <c>--latency NAME=SPEC</c> takes them.</summary>
    public static IReadOnlyDictionary<string, SmtpReply> Names { get; } = new Dictionary<string, SmtpReply>(StringComparer.OrdinalIgnoreCase)
    {
        ["greeting"] = SmtpReply.Greeting,
        ["ehlo"] = SmtpReply.Ehlo,
        ["auth"] = SmtpReply.Auth,
        ["mail"] = SmtpReply.MailFrom,
        ["rcpt"] = SmtpReply.RcptTo,
        ["data"] = SmtpReply.Data,
        ["end-of-data"] = SmtpReply.EndOfData,
        ["rset"] = SmtpReply.Rset,
        ["noop"] = SmtpReply.Noop,
        ["quit"] = SmtpReply.Quit,
    };

    /// <summary>For every reply without an entry in <see cref="PerReply"/>.</summary>
    public ReplyLatency Default { get; set; } = ReplyLatency.None;

    public Dictionary<SmtpReply, ReplyLatency> PerReply { get; } = [];

    /// <summary>
    /// With N > 0, every Nth end-of-DATA reply of the whole server (counted over every appId and connection) takes
    /// <see cref="HoldFor"/> instead of its sampled delay: one slow reply among quick ones.
    /// </summary>
    public int HoldEveryNthEndOfData { get; set; }

    public TimeSpan HoldFor { get; set; }

    /// <summary>Seeds the jitter and the tail for a repeatable sequence of delays; random when absent.</summary>
    public int? Seed { get; set; }

    public bool IsZero => Default.IsZero && PerReply.Values.All(l => l.IsZero) && (HoldEveryNthEndOfData <= 0 || HoldFor == TimeSpan.Zero);

    public ReplyLatency For(SmtpReply reply) => PerReply.TryGetValue(reply, out var latency) ? latency : Default;

    /// <summary>
    /// Applies one <c>--latency</c> value: <c>SPEC</c> sets <see cref="Default"/> (and clears the per-reply entries, so
    /// it can come first and be refined), <c>NAME=SPEC</c> one reply (<see cref="Names"/>). Throws <see cref="FormatException"/>.
    /// </summary>
    public void Apply(string option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var equals = option.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            Default = ReplyLatency.Parse(option);
            PerReply.Clear();
            return;
        }

        var name = option[..equals].Trim();
        if (!Names.TryGetValue(name, out var reply))
        {
            throw new FormatException($"'{option}': unknown reply '{name}'; one of {string.Join(", ", Names.Keys)}");
        }

        PerReply[reply] = ReplyLatency.Parse(option[(equals + 1)..]);
    }

    /// <summary>Applies <c>--hold-end-of-data N@DURATION</c> (e.g. <c>50@30s</c>); <c>0</c> switches it off.</summary>
    public void ApplyHold(string option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (option.Trim() == "0")
        {
            HoldEveryNthEndOfData = 0;
            return;
        }

        var parts = option.Split('@', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var every) || every < 1)
        {
            throw new FormatException($"'{option}': expected N@DURATION, e.g. 50@30s (every 50th end-of-DATA reply held 30 s)");
        }

        HoldEveryNthEndOfData = every;
        HoldFor = ReplyLatency.ParseDuration(parts[1], option);
    }

    /// <summary>E.g. <c>100ms±30ms; end-of-data 300ms; every 50th end-of-DATA held 30s</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string> { Default.ToString() };
        parts.AddRange(PerReply.OrderBy(p => p.Key).Select(p => $"{Names.First(n => n.Value == p.Key).Key} {p.Value}"));
        if (HoldEveryNthEndOfData > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"every {HoldEveryNthEndOfData}th end-of-DATA held {ReplyLatency.Fixed(HoldFor)}"));
        }

        return string.Join("; ", parts);
    }
}
