using System.Globalization;
using System.Text;
using LoraLab.Peft;
using LoraLab.Training.Config;

namespace LoraLab.Experiments;

/// <summary>
/// Point ids: <c>{method}[-r{rank}-{targets}]-lr{lr}-dur{max_duration}[-{key}{value}…]-s{seed}</c>, e.g.
/// <c>lora-r16-all-lr2e-04-dur20ba-s0</c>, <c>full-lr1e-05-dur20ba-s0</c>. The learning rate is written as
/// C's <c>%e</c> with the fewest mantissa digits that give back the same double (<c>2e-04</c>, <c>1.5e-05</c>);
/// other grid axes add their last key segment (or the whole key with '_' for '.', when two axes share it) and value.
/// </summary>
public static class PointIds
{
    /// <summary>2e-4 → "2e-04"; 1.5e-5 → "1.5e-05"; 0.001 → "1e-03".</summary>
    public static string FormatLr(double lr)
    {
        for (int digits = 0; digits <= 16; digits++)
        {
            string s = lr.ToString("E" + digits, CultureInfo.InvariantCulture); // "2.0E-004"
            if (double.Parse(s, CultureInfo.InvariantCulture) != lr && digits < 16) continue;
            int e = s.IndexOf('E');
            string mantissa = s[..e];
            int exponent = int.Parse(s[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>"all", "attention", "mlp", or the modules without "_proj" joined by '+' (q+v).</summary>
    public static string TargetsLabel(IReadOnlyList<string> modules)
    {
        if (modules.SequenceEqual(LoraTargets.All)) return "all";
        if (modules.SequenceEqual(LoraTargets.Attention)) return "attention";
        if (modules.SequenceEqual(LoraTargets.Mlp)) return "mlp";
        return string.Join('+', modules.Select(m => m.EndsWith("_proj", StringComparison.Ordinal) ? m[..^5] : m));
    }

    /// <summary>Keeps letters, digits, '.', '+' and '_'; anything else becomes '_' (so an id is one safe path segment).</summary>
    public static string Sanitize(string value)
    {
        var sb = new StringBuilder();
        foreach (char c in value.Trim('[', ']', ' '))
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '+' or '_' ? c : '_');
        string s = sb.ToString();
        while (s.Contains("__", StringComparison.Ordinal)) s = s.Replace("__", "_", StringComparison.Ordinal);
        return s.Trim('_');
    }

    /// <summary>The id of a point from its config and its values on the other (non-headline) axes.</summary>
    public static string Build(RunConfig config, IEnumerable<(string Label, string Value)> extras)
    {
        var parts = new List<string> { config.Method == FinetuneMethod.Full ? "full" : "lora" };
        if (config.Method == FinetuneMethod.Lora)
        {
            parts.Add("r" + config.Lora.R.ToString(CultureInfo.InvariantCulture));
            parts.Add(TargetsLabel(config.Lora.ResolveTargetModules(out _)!));
        }
        parts.Add("lr" + FormatLr(config.Optimizer.Lr));
        parts.Add("dur" + Sanitize(config.MaxDuration!.Value.ToString()));
        foreach (var (label, value) in extras) parts.Add(label + Sanitize(value));
        parts.Add("s" + config.Seed.ToString(CultureInfo.InvariantCulture));
        return string.Join('-', parts);
    }
}
