using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Training.Config;

/// <summary>
/// Binds a YAML tree to the config classes by reflection: a property <c>FooBar</c> is the key <c>foo_bar</c>, an enum
/// member <c>DecoupledLionw</c> the value <c>decoupled_lionw</c>. Scalars are parsed by the target property's type, so a
/// command-line override <c>optimizer.lr=1e-4</c> becomes a double and <c>model.path=1e-4</c> a string.
/// Errors name the file and line (or the override) and the dotted key; an unknown key gets the closest known key.
/// </summary>
internal sealed class ConfigBinder
{
    private readonly string _file;
    private readonly Dictionary<YamlNode, string> _overrides;

    public ConfigBinder(string file, Dictionary<YamlNode, string> overrides)
    {
        _file = file;
        _overrides = overrides;
    }

    /// <summary>"FooBar" → "foo_bar".</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    /// <summary>The YAML keys of a section type, with their properties.</summary>
    public static Dictionary<string, PropertyInfo> KeysOf(Type section) =>
        section.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<ConfigIgnoreAttribute>() == null)
            .ToDictionary(p => SnakeCase(p.Name));

    /// <summary>Where a node came from: "file:line" or "file: override 'k=v'".</summary>
    public string Where(YamlNode node) =>
        _overrides.TryGetValue(node, out var o) ? $"{_file}: override '{o}'" : $"{_file}:{node.Start.Line}";

    public void BindMapping(YamlMappingNode map, object target, string prefix)
    {
        var keys = KeysOf(target.GetType());
        foreach (var (keyNode, valueNode) in map.Children)
        {
            string key = keyNode is YamlScalarNode k ? k.Value ?? "" : "";
            string dotted = prefix + key;
            if (!keys.TryGetValue(key, out var prop))
            {
                string closest = Closest(key, keys.Keys);
                throw new LoraLabException($"{Where(keyNode)}: unknown key '{dotted}'; did you mean '{prefix}{closest}'?");
            }
            prop.SetValue(target, Convert(valueNode, prop.PropertyType, dotted, prop.GetValue(target)));
        }
    }

    private object? Convert(YamlNode node, Type type, string key, object? current)
    {
        Type? underlying = Nullable.GetUnderlyingType(type);
        bool nullable = underlying != null || !type.IsValueType;
        Type t = underlying ?? type;
        if (IsNull(node))
        {
            if (IsSection(t)) return current; // `eval_data:` with no value: an optional section stays absent, a required one keeps its defaults
            if (nullable) return null;
            throw Error(node, key, $"expected {Describe(t)}, got null");
        }
        if (IsSection(t))
        {
            if (node is not YamlMappingNode map) throw Error(node, key, $"expected a mapping of {key}.* keys, got {Show(node)}");
            object section = current ?? Activator.CreateInstance(t)!;
            BindMapping(map, section, key + ".");
            return section;
        }
        if (t == typeof(List<string>))
        {
            if (node is YamlScalarNode one) return new List<string> { one.Value ?? "" };
            if (node is not YamlSequenceNode seq) throw Error(node, key, $"expected a list of strings, got {Show(node)}");
            return seq.Children.Select((c, i) => (string)Convert(c, typeof(string), $"{key}[{i}]", null)!).ToList();
        }
        if (t == typeof(List<double>))
        {
            if (node is not YamlSequenceNode seq) throw Error(node, key, $"expected a list of numbers like [0.9, 0.99], got {Show(node)}");
            return seq.Children.Select((c, i) => (double)Convert(c, typeof(double), $"{key}[{i}]", null)!).ToList();
        }
        if (node is not YamlScalarNode scalar) throw Error(node, key, $"expected {Describe(t)}, got {Show(node)}");
        string s = scalar.Value ?? "";
        if (t == typeof(string)) return s;
        if (t == typeof(bool))
        {
            if (s is "true" or "True" or "TRUE") return true;
            if (s is "false" or "False" or "FALSE") return false;
        }
        else if (t == typeof(int) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
        {
            return i;
        }
        else if (t == typeof(long) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
        {
            return l;
        }
        else if (t == typeof(double) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            return d;
        }
        else if (t == typeof(Duration))
        {
            if (Duration.TryParse(s, out var dur, out string why)) return dur;
            throw Error(node, key, why);
        }
        else if (t.IsEnum)
        {
            foreach (var name in Enum.GetNames(t))
                if (SnakeCase(name) == s) return Enum.Parse(t, name);
        }
        throw Error(node, key, $"expected {Describe(t)}, got '{s}'");
    }

    private static bool IsSection(Type t) => t.IsClass && t != typeof(string) && t.Namespace == typeof(RunConfig).Namespace;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private static string Describe(Type t)
    {
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long)) return "an integer";
        if (t == typeof(double)) return "a number";
        if (t == typeof(Duration)) return "a duration like '100ba', '1ep', '1000tok' or '0.1dur'";
        if (t.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(t).Select(SnakeCase));
        return t.Name;
    }

    private static string Show(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        _ => "a mapping",
    };

    private LoraLabException Error(YamlNode node, string key, string what) => new($"{Where(node)}: {key}: {what}");

    /// <summary>The candidate with the smallest Levenshtein distance to <paramref name="key"/>.</summary>
    public static string Closest(string key, IEnumerable<string> candidates) =>
        candidates.OrderBy(c => Levenshtein(key, c)).ThenBy(c => c, StringComparer.Ordinal).FirstOrDefault() ?? "";

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
