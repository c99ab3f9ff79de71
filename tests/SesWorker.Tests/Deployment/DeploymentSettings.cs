using System.Collections;
using System.ComponentModel;
using System.Reflection;
using SesWorker.Worker.Observability;

namespace SesWorker.Tests.Deployment;

/// <summary>
/// What the worker really reads, found by reflection: every options class with a <c>SectionName</c> in the worker's
/// own assemblies, walked property by property. A setting in a manifest is checked against this, not against a list.
/// </summary>
internal static class DeploymentSettings
{
    /// <summary>Read with <c>GetConnectionString</c>, not bound to an options class.</summary>
    private static readonly HashSet<string> ConnectionStrings = new(StringComparer.OrdinalIgnoreCase) { "Postgres", "RabbitMq" };

    /// <summary>Knobs of the .NET runtime itself, documented by Microsoft, that the manifests may set.</summary>
    private static readonly HashSet<string> RuntimeVariables = new(StringComparer.Ordinal) { "DOTNET_EnableDiagnostics", "DOTNET_gcServer" };

    private static readonly Lazy<IReadOnlyList<(string Section, Type Type)>> Sections = new(FindSections);

    public static IReadOnlyList<(string Section, Type Type)> OptionSections => Sections.Value;

    /// <summary>Null when the worker reads <paramref name="variable"/> and can convert <paramref name="value"/>; else why not.</summary>
    public static string? Problem(string variable, string? value)
    {
        if (RuntimeVariables.Contains(variable))
            return null;
        var path = variable.Split("__");
        if (path.Length == 2 && path[0] == "ConnectionStrings")
            return ConnectionStrings.Contains(path[1]) ? null : $"no connection string named {path[1]} is read";
        if (path[0] == "Logging")
            return null;

        var key = string.Join(':', path);
        var section = Sections.Value
            .Where(s => key.StartsWith(s.Section + ":", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(s => s.Section.Length)
            .FirstOrDefault();
        if (section.Type is null)
            return $"no options section matches {key}";

        var type = section.Type;
        var rest = key[(section.Section.Length + 1)..].Split(':');
        for (var i = 0; i < rest.Length; i++)
        {
            var segment = rest[i];
            if (ElementType(type) is { } element && int.TryParse(segment, out _))
            {
                type = element;
                continue;
            }

            if (DictionaryValueType(type) is { } valueType)
            {
                type = valueType;
                continue;
            }

            var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
                return $"{type.Name} has no settable property {segment} (in {key})";
            type = property.PropertyType;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value is null)
            return null;
        var converter = TypeDescriptor.GetConverter(target);
        if (!converter.CanConvertFrom(typeof(string)))
            return $"{key} is a {target.Name}, not a single value";
        try
        {
            converter.ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException)
        {
            return $"{key} = '{value}' does not convert to {target.Name}: {e.Message}";
        }
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0]
        : null;

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && typeof(IDictionary).IsAssignableFrom(type) ? type.GetGenericArguments()[1] : null;

    private static List<(string Section, Type Type)> FindSections()
    {
        var worker = typeof(ObservabilityOptions).Assembly;
        var assemblies = worker.GetReferencedAssemblies()
            .Where(a => a.Name?.StartsWith("SesWorker", StringComparison.Ordinal) == true)
            .Select(Assembly.Load)
            .Append(worker)
            .Distinct();
        return assemblies
            .SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => ((string)x.Field!.GetRawConstantValue()!, x.Type))
            .ToList();
    }
}
