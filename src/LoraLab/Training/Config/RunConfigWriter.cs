using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoraLab.Training.Config;

/// <summary>
/// Writes a <see cref="RunConfig"/> back as YAML (every key, defaults included, unset optional keys left out), so a run
/// directory records exactly what ran and <c>loralab train --config run_dir/run_config.yaml</c> runs it again.
/// Strings are double-quoted (JSON escaping is valid YAML), lists are flow lists, durations are Composer strings.
/// </summary>
public static class RunConfigWriter
{
    public static string ToYaml(RunConfig config)
    {
        var sb = new StringBuilder();
        sb.Append("# resolved by LoraLab from ").Append(config.SourceFile).Append('\n');
        WriteSection(sb, config, 0);
        return sb.ToString();
    }

    private static void WriteSection(StringBuilder sb, object section, int indent)
    {
        foreach (var (key, prop) in ConfigBinder.KeysOf(section.GetType()))
        {
            object? value = prop.GetValue(section);
            if (value == null || NotApplicable(section, key)) continue;
            sb.Append(' ', indent).Append(key).Append(':');
            if (value.GetType().Namespace == typeof(RunConfig).Namespace && value.GetType().IsClass)
            {
                sb.Append('\n');
                WriteSection(sb, value, indent + 2);
            }
            else
            {
                sb.Append(' ').Append(Scalar(value)).Append('\n');
            }
        }
    }

    /// <summary>Keys the validator refuses in this context (Lion has no eps and always decouples weight decay).</summary>
    private static bool NotApplicable(object section, string key) =>
        section is OptimizerSection { Name: OptimizerName.DecoupledLionw } && key is "eps" or "decoupled_weight_decay";

    private static string Scalar(object value) => value switch
    {
        string s => JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int or long => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        Duration dur => dur.ToString(),
        Enum e => ConfigBinder.SnakeCase(e.ToString()),
        IEnumerable list => "[" + string.Join(", ", list.Cast<object>().Select(Scalar)) + "]",
        _ => throw new InvalidOperationException($"cannot write a config value of type {value.GetType().Name}"),
    };
}
