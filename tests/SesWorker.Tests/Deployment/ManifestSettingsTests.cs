using YamlDotNet.RepresentationModel;

namespace SesWorker.Tests.Deployment;

/// <summary>
/// The Kubernetes manifests and docker-compose.yml configure the worker by environment variables; a misspelt key is
/// silently ignored by configuration binding, so every key they set must name an option the worker binds.
/// </summary>
public sealed class ManifestSettingsTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    [Fact]
    public void Reflection_finds_the_worker_options_sections()
    {
        var sections = DeploymentSettings.OptionSections.Select(s => s.Section).ToList();
        Assert.Contains("Ses", sections);
        Assert.Contains("Worker", sections);
        Assert.Contains("Observability", sections);
    }

    [Fact]
    public void A_misspelt_key_is_caught()
    {
        Assert.NotNull(DeploymentSettings.Problem("Worker__ConcurentMessageLimit", "32"));
        Assert.NotNull(DeploymentSettings.Problem("Ses__Accounts__0__Senders__0__Pasword", "x"));
        Assert.NotNull(DeploymentSettings.Problem("Observability__ShutdownTimeout", "twenty seconds"));
        Assert.Null(DeploymentSettings.Problem("Ses__Accounts__0__Senders__0__PasswordFile", "/run/secrets/x"));
    }

    [Fact]
    public void Every_setting_in_the_kubernetes_manifests_names_an_option_the_worker_reads()
    {
        var documents = LoadManifests();
        var settings = new List<(string Where, string Name, string? Value)>();
        foreach (var (file, doc) in documents)
        {
            var kind = Scalar(doc, "kind");
            if (kind == "ConfigMap" && Child(doc, "data") is YamlMappingNode data)
                settings.AddRange(data.Children.Select(kv => ($"{file} ConfigMap", ((YamlScalarNode)kv.Key).Value!, ((YamlScalarNode)kv.Value).Value)));
            foreach (var container in Containers(doc))
            {
                if (Child(container, "env") is not YamlSequenceNode env)
                    continue;
                foreach (var variable in env.Children.OfType<YamlMappingNode>())
                    settings.Add(($"{file} {kind} env", Scalar(variable, "name")!, Scalar(variable, "value")));
            }
        }

        Assert.NotEmpty(settings);
        var problems = settings
            .Select(s => (s.Where, Problem: DeploymentSettings.Problem(s.Name, s.Value)))
            .Where(p => p.Problem is not null)
            .Select(p => $"{p.Where}: {p.Problem}")
            .ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Secrets_the_manifests_reference_exist_in_the_secret_and_password_files_are_mounted()
    {
        var documents = LoadManifests();
        var secret = documents.Single(d => Scalar(d.Doc, "kind") == "Secret").Doc;
        var secretKeys = ((YamlMappingNode)Child(secret, "stringData")!).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        var references = documents
            .SelectMany(d => Descendants(d.Doc))
            .OfType<YamlMappingNode>()
            .Where(m => Child(m, "secretKeyRef") is not null)
            .Select(m => Scalar((YamlMappingNode)Child(m, "secretKeyRef")!, "key")!)
            // KEDA's TriggerAuthentication names its keys in secretTargetRef.
            .Concat(documents.Where(d => Scalar(d.Doc, "kind") == "TriggerAuthentication")
                .SelectMany(d => ((YamlSequenceNode)Child((YamlMappingNode)Child(d.Doc, "spec")!, "secretTargetRef")!).Children.OfType<YamlMappingNode>())
                .Select(m => Scalar(m, "key")!))
            .ToList();
        Assert.NotEmpty(references);
        Assert.All(references, key => Assert.Contains(key, secretKeys));

        var configMap = documents.Single(d => Scalar(d.Doc, "kind") == "ConfigMap").Doc;
        var deployment = documents.Single(d => Scalar(d.Doc, "kind") == "Deployment").Doc;
        var mount = Containers(deployment).SelectMany(c => ((YamlSequenceNode)Child(c, "volumeMounts")!).Children.OfType<YamlMappingNode>())
            .Single(m => Scalar(m, "name") == "smtp-passwords");
        var mountPath = Scalar(mount, "mountPath")!;
        var mounted = Descendants(deployment).OfType<YamlMappingNode>()
            .Where(m => Scalar(m, "name") == "smtp-passwords" && Child(m, "secret") is not null)
            .SelectMany(m => ((YamlSequenceNode)Child((YamlMappingNode)Child(m, "secret")!, "items")!).Children.OfType<YamlMappingNode>())
            .Select(item => $"{mountPath}/{Scalar(item, "path")}")
            .ToHashSet();
        var passwordFiles = ((YamlMappingNode)Child(configMap, "data")!).Children
            .Where(kv => ((YamlScalarNode)kv.Key).Value!.EndsWith("__PasswordFile", StringComparison.Ordinal))
            .Select(kv => ((YamlScalarNode)kv.Value).Value!)
            .ToList();
        Assert.NotEmpty(passwordFiles);
        Assert.All(passwordFiles, file => Assert.Contains(file, mounted));
    }

    [Fact]
    public void Every_worker_variable_in_docker_compose_names_an_option_the_worker_reads()
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(RepoRoot, "docker-compose.yml")))
            stream.Load(reader);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var worker = (YamlMappingNode)Child((YamlMappingNode)Child(root, "services")!, "worker")!;
        var environment = (YamlMappingNode)Child(worker, "environment")!;
        // Compose substitutes ${VAR:-default} before the worker sees it: check the default.
        var problems = environment.Children
            .Select(kv => (Name: ((YamlScalarNode)kv.Key).Value!, Value: ((YamlScalarNode)kv.Value).Value))
            .Select(kv => DeploymentSettings.Problem(kv.Name, kv.Value is { } v && v.StartsWith("${", StringComparison.Ordinal) ? v[(v.IndexOf(":-", StringComparison.Ordinal) + 2)..^1] : kv.Value))
            .OfType<string>()
            .ToList();
        Assert.True(environment.Children.Count > 5);
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    private static List<(string File, YamlMappingNode Doc)> LoadManifests()
    {
        var directory = Path.Combine(RepoRoot, "infra", "k8s");
        var documents = new List<(string, YamlMappingNode)>();
        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using var reader = File.OpenText(file);
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (Path.GetFileName(file), (YamlMappingNode)d.RootNode)));
        }

        Assert.Contains(documents, d => Scalar(d.Item2, "kind") == "Deployment");
        return documents;
    }

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode doc) =>
        Descendants(doc).OfType<YamlMappingNode>()
            .Select(m => Child(m, "containers"))
            .OfType<YamlSequenceNode>()
            .SelectMany(s => s.Children.OfType<YamlMappingNode>());

    private static IEnumerable<YamlNode> Descendants(YamlNode node) =>
        node.AllNodes;

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SesWorker.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("SesWorker.sln not found above " + AppContext.BaseDirectory);
    }
}
