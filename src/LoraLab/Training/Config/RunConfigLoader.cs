using YamlDotNet.RepresentationModel;

namespace LoraLab.Training.Config;

/// <summary>
/// Reads a <see cref="RunConfig"/> from YAML, applies command-line overrides <c>key.sub=value</c> (the value is YAML:
/// a scalar, or a flow list/mapping like <c>[q_proj,v_proj]</c>; it is parsed by the target field's type), binds it
/// and validates it (<see cref="RunConfigValidator"/>) before anything runs. Every problem is a
/// <see cref="LoraLabException"/> naming the file and key.
/// </summary>
public static class RunConfigLoader
{
    public static RunConfig Load(string path, IReadOnlyList<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: config file not found");
        return Parse(File.ReadAllText(path), path, overrides);
    }

    /// <summary>Parses YAML text; <paramref name="sourceName"/> names it in messages.</summary>
    public static RunConfig Parse(string yaml, string sourceName, IReadOnlyList<string>? overrides = null)
    {
        var root = ParseYaml(yaml, sourceName);
        var origins = new Dictionary<YamlNode, string>(ReferenceEqualityComparer.Instance);
        foreach (string o in overrides ?? []) ApplyOverride(root, o, sourceName, origins);
        var binder = new ConfigBinder(sourceName, origins);
        var config = new RunConfig { SourceFile = sourceName };
        binder.BindMapping(root, config, "");
        RunConfigValidator.Validate(config, root, binder);
        return config;
    }

    private static YamlMappingNode ParseYaml(string yaml, string source)
    {
        var stream = YamlText.Load(yaml, source);
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode m => m,
            YamlScalarNode { Value: null or "" } => new YamlMappingNode(),
            var other => throw new LoraLabException($"{source}:{other.Start.Line}: the config must be a mapping of keys (model:, optimizer:, …)"),
        };
    }

    private static void ApplyOverride(YamlMappingNode root, string text, string source, Dictionary<YamlNode, string> origins)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0) throw new LoraLabException($"{source}: override '{text}' is not key.sub=value (e.g. optimizer.lr=2e-4)");
        string[] path = text[..eq].Trim().Split('.');
        if (path.Any(string.IsNullOrWhiteSpace)) throw new LoraLabException($"{source}: override '{text}' has an empty key segment");
        string raw = text[(eq + 1)..];
        YamlNode value = raw.TrimStart().StartsWith('[') || raw.TrimStart().StartsWith('{')
            ? ParseFlow(raw, text, source)
            : new YamlScalarNode(raw.Trim());
        Mark(value, text, origins);

        var map = root;
        for (int i = 0; i < path.Length - 1; i++)
        {
            var key = new YamlScalarNode(path[i]);
            if (!map.Children.TryGetValue(key, out var child) || child is YamlScalarNode { Value: null or "" or "~" or "null" })
            {
                var fresh = new YamlMappingNode();
                map.Children[key] = fresh;
                origins[key] = text;
                foreach (var k in map.Children.Keys.Where(k => k.Equals(key))) origins[k] = text;
                child = fresh;
            }
            if (child is not YamlMappingNode next)
                throw new LoraLabException($"{source}: override '{text}': '{string.Join('.', path[..(i + 1)])}' is not a section");
            map = next;
        }
        var last = new YamlScalarNode(path[^1]);
        map.Children[last] = value;
        foreach (var k in map.Children.Keys.Where(k => k.Equals(last))) origins[k] = text;
    }

    private static YamlNode ParseFlow(string raw, string text, string source)
    {
        YamlStream stream;
        try
        {
            stream = YamlText.Load(raw, "value");
        }
        catch (LoraLabException e)
        {
            throw new LoraLabException($"{source}: override '{text}': invalid YAML value ({e.Message})");
        }
        return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : new YamlScalarNode("");
    }

    private static void Mark(YamlNode node, string text, Dictionary<YamlNode, string> origins)
    {
        origins[node] = text;
        foreach (var child in node.AllNodes) origins[child] = text;
    }
}
