using System.Text;
using System.Text.Json;

namespace LoraLab.Tokenization;

/// <summary>
/// The "decoder" of a tokenizer.json: token strings → text. Supported: Sequence, Replace, ByteFallback, Fuse, Strip,
/// ByteLevel, Metaspace. Without a decoder, tokens are joined with spaces (as Hugging Face does).
/// </summary>
internal static class HfDecoder
{
    public static Func<List<string>, string> Parse(JsonElement? element, string file)
    {
        if (element is not { } e) return tokens => string.Join(" ", tokens);
        var step = ParseOne(e, file, "decoder");
        return tokens => string.Concat(step(tokens));
    }

    private static Func<List<string>, List<string>> ParseOne(JsonElement e, string file, string where)
    {
        string type = HfJson.TypeOf(e, file, where);
        switch (type)
        {
            case "Sequence":
            {
                var steps = HfJson.Items(e, "decoders", file, where)
                    .Select((x, i) => ParseOne(x, file, $"{where}.decoders[{i}]")).ToArray();
                return tokens =>
                {
                    foreach (var step in steps) tokens = step(tokens);
                    return tokens;
                };
            }
            case "Replace":
            {
                var pattern = HfJson.Pattern(e, file, where);
                string content = HfJson.RequireString(e, "content", file, where);
                return tokens => tokens.Select(t => pattern.Replace(t, content.Replace("$", "$$"))).ToList();
            }
            case "ByteFallback":
                return ByteFallback;
            case "Fuse":
                return tokens => [string.Concat(tokens)];
            case "Strip":
            {
                string content = HfJson.RequireString(e, "content", file, where);
                if (content.Length != 1) throw new LoraLabException($"{file}: {where}.content must be one character, found \"{content}\"");
                int start = HfJson.GetInt(e, "start", 0, file, where);
                int stop = HfJson.GetInt(e, "stop", 0, file, where);
                return tokens => tokens.Select(t => Strip(t, content[0], start, stop)).ToList();
            }
            case "ByteLevel":
                return tokens => [ByteLevelMap.Decode(string.Concat(tokens))];
            case "Metaspace":
            {
                string replacement = HfJson.GetString(e, "replacement", file, where) ?? "\u2581";
                string scheme = HfJson.GetString(e, "prepend_scheme", file, where)
                    ?? (HfJson.GetBool(e, "add_prefix_space", true, file, where) ? "always" : "never");
                // Hugging Face's rule: in the first token EVERY replacement character is dropped (not only a leading
                // one) unless prepend_scheme is "never"; elsewhere each becomes a space.
                return tokens => tokens.Select((t, i) => t.Replace(replacement, i == 0 && scheme != "never" ? "" : " ")).ToList();
            }
            default:
                throw new LoraLabException($"{file}: {where}.type \"{type}\" is not supported (supported: Sequence, Replace, ByteFallback, Fuse, " +
                    "Strip, ByteLevel, Metaspace)");
        }
    }

    /// <summary>Removes up to <paramref name="start"/> leading and <paramref name="stop"/> trailing <paramref name="c"/>.</summary>
    private static string Strip(string t, char c, int start, int stop)
    {
        int a = 0, b = t.Length;
        while (a < b && a < start && t[a] == c) a++;
        int removed = 0;
        while (b > a && removed < stop && t[b - 1] == c)
        {
            b--;
            removed++;
        }
        return t[a..b];
    }

    /// <summary>
    /// Runs of "&lt;0xHH&gt;" tokens become the text their bytes spell in UTF-8; a run that is not valid UTF-8 becomes one
    /// U+FFFD per byte token (Hugging Face's ByteFallback decoder).
    /// </summary>
    private static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        void Flush()
        {
            if (run.Count == 0) return;
            try
            {
                result.Add(strict.GetString(run.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                result.AddRange(Enumerable.Repeat("\uFFFD", run.Count));
            }
            run.Clear();
        }
        foreach (string t in tokens)
        {
            if (TryParseByte(t) is byte b) run.Add(b);
            else
            {
                Flush();
                result.Add(t);
            }
        }
        Flush();
        return result;
    }

    internal static byte? TryParseByte(string t)
    {
        if (t.Length != 6 || !t.StartsWith("<0x", StringComparison.Ordinal) || t[5] != '>') return null;
        return byte.TryParse(t.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b) ? b : null;
    }
}
