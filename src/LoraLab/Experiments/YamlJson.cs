using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Experiments;

/// <summary>YAML nodes → JSON nodes: plain scalars become numbers/booleans/null where YAML 1.2's core schema says so.</summary>
internal static class YamlJson
{
    /// <summary>Converts <paramref name="node"/>; a key that is not a scalar is an error naming <paramref name="source"/> and its line.</summary>
    public static JsonNode? Convert(YamlNode node, string source) => node switch
    {
        YamlMappingNode m => ConvertMapping(m, source),
        YamlSequenceNode s => new JsonArray(s.Children.Select(c => Convert(c, source)).ToArray()),
        YamlScalarNode sc => ConvertScalar(sc),
        _ => null,
    };

    public static JsonObject ConvertMapping(YamlMappingNode map, string source)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in map.Children)
        {
            if (k is not YamlScalarNode key)
                throw new LoraLabException($"{source}:{k.Start.Line}:{k.Start.Column}: a key must be a plain name, not a " +
                    $"{(k is YamlSequenceNode ? "list" : "mapping")}");
            obj[key.Value ?? ""] = Convert(v, source);
        }
        return obj;
    }

    private static JsonNode? ConvertScalar(YamlScalarNode s)
    {
        string text = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(text);
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
            && text.Any(char.IsDigit)) return JsonValue.Create(d);
        return JsonValue.Create(text);
    }
}
