using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Experiments;

/// <summary>YAML nodes → JSON nodes: plain scalars become numbers/booleans/null where YAML 1.2's core schema says so.</summary>
internal static class YamlJson
{
    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => ConvertMapping(m),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
        YamlScalarNode sc => ConvertScalar(sc),
        _ => null,
    };

    public static JsonObject ConvertMapping(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in map.Children) obj[((YamlScalarNode)k).Value ?? ""] = Convert(v);
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
