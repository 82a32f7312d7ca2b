using System.Text.RegularExpressions;
using LoraLab.Training.Config;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Experiments;

/// <summary>
/// Reads a sweep file:
/// <code>
/// name: lr-rank                # default: the file name
/// run_root: runs/lr-rank       # relative to this file's folder; each point runs in run_root/point_id
/// base_config: configs/gsm8k.yaml   # or `base:` with the run config inline (or `base: path`)
/// grid:                        # run-config key → list of values, applied as `loralab train key=value` overrides
///   method: [lora, full]
///   lora.r: [16, 64, 256]
///   lora.target_modules: [attention, all, [q_proj, v_proj]]
///   optimizer.lr: [1e-5, 2e-4]
///   max_duration: [20ba, 40ba]
///   seed: [0, 1]
/// eval:                        # passed to the point runner as is
///   tasks: [gsm8k, hellaswag]
///   limit: 100
/// </code>
/// Errors are <see cref="LoraLabException"/>s naming the file, line and key.
/// </summary>
internal static partial class SweepFileParser
{
    private static readonly string[] TopKeys = ["name", "run_root", "base", "base_config", "grid", "eval"];

    /// <summary>Axes that come first, in this order; other keys follow in file order, then <c>seed</c> last.</summary>
    public static readonly string[] LeadingAxes = ["method", "lora.r", "lora.target_modules", "optimizer.lr", "max_duration"];

    public const string SeedAxis = "seed";

    public static SweepDefinition Load(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"{path}: sweep file not found");
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    public static SweepDefinition Parse(string yaml, string source, string baseDirectory)
    {
        var root = ParseRoot(yaml, source);
        var values = new Dictionary<string, YamlNode>();
        foreach (var (keyNode, value) in root.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!TopKeys.Contains(key))
                throw new LoraLabException($"{source}:{keyNode.Start.Line}: unknown key '{key}'; did you mean '{ConfigBinder.Closest(key, TopKeys)}'? " +
                    $"(a sweep has {string.Join(", ", TopKeys)})");
            values[key] = value;
        }

        string name = values.TryGetValue("name", out var nameNode)
            ? Scalar(nameNode, "name", source)
            : Path.GetFileNameWithoutExtension(source);
        if (!values.TryGetValue("run_root", out var runRootNode))
            throw new LoraLabException($"{source}: run_root is required (the shared folder where every point gets run_root/point_id)");
        string runRoot = Path.GetFullPath(Path.Combine(baseDirectory, Scalar(runRootNode, "run_root", source)));

        var (baseYaml, baseSource, baseConfigPath) = ReadBase(yaml, root, source, baseDirectory, values);
        var axes = ReadGrid(values.GetValueOrDefault("grid"), source);
        var eval = SweepEval.None;
        if (values.TryGetValue("eval", out var evalNode) && !IsNull(evalNode))
        {
            if (evalNode is not YamlMappingNode evalMap)
                throw new LoraLabException($"{source}:{evalNode.Start.Line}: eval: expected a mapping (tasks: [...], options…)");
            try
            {
                eval = new SweepEval(YamlJson.ConvertMapping(evalMap, source));
            }
            catch (LoraLabException e)
            {
                throw new LoraLabException($"{source}:{evalNode.Start.Line}: {e.Message}");
            }
        }
        return new SweepDefinition
        {
            SourceFile = source,
            Name = name,
            RunRoot = runRoot,
            BaseYaml = baseYaml,
            BaseSource = baseSource,
            BaseConfigPath = baseConfigPath,
            BaseMethod = BaseMethodOf(baseYaml, baseSource),
            Axes = axes,
            Eval = eval,
        };
    }

    private static YamlMappingNode ParseRoot(string yaml, string source)
    {
        var stream = YamlText.Load(yaml, source);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m)
            throw new LoraLabException($"{source}: a sweep file must be a mapping with run_root, base or base_config, and grid");
        return m;
    }

    private static (string Yaml, string Source, string? Path) ReadBase(
        string yaml, YamlMappingNode root, string source, string baseDirectory, Dictionary<string, YamlNode> values)
    {
        values.TryGetValue("base", out var inline);
        values.TryGetValue("base_config", out var pathNode);
        if (inline != null && pathNode != null)
            throw new LoraLabException($"{source}:{pathNode.Start.Line}: give either base (the run config inline) or base_config (its path), not both");
        if (inline is YamlMappingNode map) return (InlineText(yaml, root, map), source, null);
        var node = pathNode ?? inline ?? throw new LoraLabException($"{source}: base_config (a run config file) or base (the run config inline) is required");
        string key = pathNode != null ? "base_config" : "base";
        string path = Path.GetFullPath(Path.Combine(baseDirectory, Scalar(node, key, source)));
        if (!File.Exists(path)) throw new LoraLabException($"{source}:{node.Start.Line}: {key}: run config '{path}' not found");
        return (File.ReadAllText(path), path, path);
    }

    /// <summary>
    /// The inline base mapping's own text — from its first character to the next top-level key — preceded by blank
    /// lines and spaces so that it sits at the same line and column as in the sweep file: run-config errors then point
    /// at the sweep file's lines. (YamlDotNet marks a block mapping's end at its start, so the next key bounds it.)
    /// For a sweep file whose top level is a flow mapping, the base is re-serialized instead.
    /// </summary>
    private static string InlineText(string yaml, YamlMappingNode root, YamlMappingNode map)
    {
        if (root.Style == MappingStyle.Flow)
        {
            var writer = new StringWriter();
            new YamlStream(new YamlDocument(map)).Save(writer, assignAnchors: false);
            return writer.ToString();
        }
        int start = (int)map.Start.Index;
        int end = root.Children.Keys.Select(k => (int)k.Start.Index).Where(i => i > start).DefaultIfEmpty(yaml.Length).Min();
        return new string('\n', (int)map.Start.Line - 1) + new string(' ', (int)map.Start.Column - 1) + yaml[start..end] + "\n";
    }

    private static string? BaseMethodOf(string yaml, string source)
    {
        var stream = YamlText.Load(yaml, source);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m) return null;
        return m.Children.TryGetValue(new YamlScalarNode("method"), out var v) && v is YamlScalarNode s ? s.Value : null;
    }

    private static List<SweepAxis> ReadGrid(YamlNode? node, string source)
    {
        if (node is not YamlMappingNode grid || grid.Children.Count == 0)
            throw new LoraLabException($"{source}{(node != null ? ":" + node.Start.Line : "")}: grid is required: a mapping of run-config keys to " +
                "lists of values (e.g. optimizer.lr: [1e-5, 2e-4])");
        var axes = new List<SweepAxis>();
        foreach (var (keyNode, valueNode) in grid.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            int line = (int)keyNode.Start.Line;
            CheckKey(key, $"{source}:{line}");
            if (valueNode is not YamlSequenceNode seq || seq.Children.Count == 0)
                throw new LoraLabException($"{source}:{line}: grid.{key}: expected a non-empty list of values, e.g. {key}: [a, b]");
            var texts = new List<string>();
            foreach (var item in seq.Children)
            {
                string text = OverrideText(item, $"{source}:{item.Start.Line}: grid.{key}");
                if (texts.Contains(text)) throw new LoraLabException($"{source}:{item.Start.Line}: grid.{key}: lists '{text}' twice");
                texts.Add(text);
            }
            axes.Add(new SweepAxis(key, texts, line));
        }
        return axes
            .OrderBy(a => a.Key == SeedAxis ? int.MaxValue : Array.IndexOf(LeadingAxes, a.Key) is int i and >= 0 ? i : LeadingAxes.Length)
            .ToList(); // a stable sort: other keys keep their file order
    }

    /// <summary>Checks that <paramref name="key"/> names a leaf of the run config, with the closest key when not.</summary>
    private static void CheckKey(string key, string where)
    {
        if (key == "save_folder")
            throw new LoraLabException($"{where}: grid.save_folder: the sweep sets save_folder for each point (run_root/point_id/checkpoints); remove " +
                "it from the grid");
        string[] parts = key.Split('.');
        Type type = typeof(RunConfig);
        string prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            var keys = ConfigBinder.KeysOf(type);
            if (!keys.TryGetValue(parts[i], out var prop))
                throw new LoraLabException($"{where}: grid key '{key}' is not a run-config key; did you mean " +
                    $"'{prefix}{ConfigBinder.Closest(parts[i], keys.Keys)}'?");
            Type t = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            bool section = t.IsClass && t != typeof(string) && t.Namespace == typeof(RunConfig).Namespace;
            if (i == parts.Length - 1 && section)
                throw new LoraLabException($"{where}: grid key '{key}' is a section; give one of its keys, e.g. '{key}.{ConfigBinder.KeysOf(t).Keys.First()}'");
            if (i < parts.Length - 1 && !section)
                throw new LoraLabException($"{where}: grid key '{key}': '{prefix}{parts[i]}' is not a section");
            prefix += parts[i] + ".";
            type = t;
        }
    }

    /// <summary>A grid value as override text: a scalar as written, a list of scalars as a flow list.</summary>
    private static string OverrideText(YamlNode item, string where)
    {
        if (item is YamlScalarNode s)
        {
            if (IsNull(s)) throw new LoraLabException($"{where}: an empty value; remove it or write a value");
            return s.Value!;
        }
        if (item is YamlSequenceNode list && list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }))
            return "[" + string.Join(", ", list.Children.Select(c => QuoteIfNeeded(((YamlScalarNode)c).Value!))) + "]";
        throw new LoraLabException($"{where}: each value must be a scalar or a list of scalars (e.g. [q_proj, v_proj])");
    }

    private static string QuoteIfNeeded(string s) =>
        PlainItem().IsMatch(s) ? s : "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Scalar(YamlNode node, string key, string source) =>
        node is YamlScalarNode { Value.Length: > 0 } s && !IsNull(s)
            ? s.Value!
            : throw new LoraLabException($"{source}:{node.Start.Line}: {key}: expected a non-empty string");

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) } s && s.Value is null or "" or "~" or "null";

    [GeneratedRegex(@"^[A-Za-z0-9_./+\-]+$")]
    private static partial Regex PlainItem();
}
