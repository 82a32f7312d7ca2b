using System.Text;
using System.Text.Json;

namespace LoraLab.Tokenization;

/// <summary>
/// The "normalizer" of a tokenizer.json as a string → string function. Supported: Sequence, Prepend (only when the text
/// is non-empty), Replace (String or Regex pattern), NFC/NFD/NFKC/NFKD, Lowercase, Strip.
/// </summary>
internal static class HfNormalizer
{
    public static Func<string, string> Parse(JsonElement? element, string file)
    {
        if (element is not { } e) return s => s;
        return ParseOne(e, file, "normalizer");
    }

    private static Func<string, string> ParseOne(JsonElement e, string file, string where)
    {
        string type = HfJson.TypeOf(e, file, where);
        switch (type)
        {
            case "Sequence":
            {
                var steps = HfJson.Items(e, "normalizers", file, where)
                    .Select((x, i) => ParseOne(x, file, $"{where}.normalizers[{i}]")).ToArray();
                return s =>
                {
                    foreach (var step in steps) s = step(s);
                    return s;
                };
            }
            case "Prepend":
            {
                string prepend = HfJson.RequireString(e, "prepend", file, where);
                return s => s.Length == 0 ? s : prepend + s;
            }
            case "Replace":
            {
                var pattern = HfJson.Pattern(e, file, where);
                string content = HfJson.RequireString(e, "content", file, where);
                return s => pattern.Replace(s, content.Replace("$", "$$"));
            }
            case "NFC": return s => s.Normalize(NormalizationForm.FormC);
            case "NFD": return s => s.Normalize(NormalizationForm.FormD);
            case "NFKC": return s => s.Normalize(NormalizationForm.FormKC);
            case "NFKD": return s => s.Normalize(NormalizationForm.FormKD);
            case "Lowercase": return s => s.ToLowerInvariant();
            case "Strip":
            {
                bool left = HfJson.GetBool(e, "strip_left", true, file, where);
                bool right = HfJson.GetBool(e, "strip_right", true, file, where);
                return s => (left, right) switch
                {
                    (true, true) => s.Trim(),
                    (true, false) => s.TrimStart(),
                    (false, true) => s.TrimEnd(),
                    _ => s,
                };
            }
            default:
                throw new LoraLabException($"{file}: {where}.type \"{type}\" is not supported (supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, " +
                    "NFKD, Lowercase, Strip)");
        }
    }
}
