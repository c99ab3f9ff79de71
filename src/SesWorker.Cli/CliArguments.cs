namespace SesWorker.Cli;

/// <summary>`--name value` pairs (repeatable) and positional words, enough for an operator tool.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _named = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public static CliArguments Parse(IEnumerable<string> args)
    {
        var result = new CliArguments();
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                    result.Add(pending, "true");
                pending = arg[2..];
            }
            else if (pending is not null)
            {
                result.Add(pending, arg);
                pending = null;
            }
            else
            {
                result.Positional.Add(arg);
            }
        }

        if (pending is not null)
            result.Add(pending, "true");
        return result;
    }

    private void Add(string name, string value)
    {
        if (!_named.TryGetValue(name, out var values))
            _named[name] = values = [];
        values.Add(value);
    }

    public string? Get(string name) => _named.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> GetAll(string name) => _named.TryGetValue(name, out var values) ? values : [];

    public string Required(string name) => Get(name) ?? throw new CliException($"--{name} is required");

    public int GetInt(string name, int fallback) =>
        Get(name) is { } value ? int.TryParse(value, out var parsed) ? parsed : throw new CliException($"--{name} must be a number") : fallback;

    public bool Has(string name) => _named.ContainsKey(name);
}
