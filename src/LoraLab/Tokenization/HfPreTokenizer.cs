using System.Text.Json;
using System.Text.RegularExpressions;

namespace LoraLab.Tokenization;

/// <summary>
/// The "pre_tokenizer" of a tokenizer.json: splits a normalized segment into words. Each word carries whether it
/// starts at offset 0 of the original text (Metaspace's prepend_scheme "first" needs it). Supported: Sequence, Split,
/// ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit.
/// </summary>
internal static class HfPreTokenizer
{
    /// <summary>GPT-2's pattern, used by ByteLevel when use_regex is true.</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static Func<List<(string Text, bool AtStart)>, List<(string Text, bool AtStart)>> Parse(JsonElement? element, string file)
    {
        if (element is not { } e) return words => words;
        return ParseOne(e, file, "pre_tokenizer");
    }

    private static Func<List<(string, bool)>, List<(string, bool)>> ParseOne(JsonElement e, string file, string where)
    {
        string type = HfJson.TypeOf(e, file, where);
        switch (type)
        {
            case "Sequence":
            {
                var steps = HfJson.Items(e, "pretokenizers", file, where)
                    .Select((x, i) => ParseOne(x, file, $"{where}.pretokenizers[{i}]")).ToArray();
                return words =>
                {
                    foreach (var step in steps) words = step(words);
                    return words;
                };
            }
            case "Split":
            {
                var regex = HfJson.Pattern(e, file, where);
                string behavior = HfJson.RequireString(e, "behavior", file, where);
                bool invert = HfJson.GetBool(e, "invert", false, file, where);
                CheckBehavior(behavior, file, where);
                return words => SplitAll(words, regex, behavior, invert);
            }
            case "ByteLevel":
            {
                bool addPrefixSpace = HfJson.GetBool(e, "add_prefix_space", true, file, where);
                bool useRegex = HfJson.GetBool(e, "use_regex", true, file, where);
                var gpt2 = new Regex(Gpt2Pattern, RegexOptions.CultureInvariant);
                return words =>
                {
                    if (addPrefixSpace) words = words.Select(w => w.Item1.StartsWith(' ') ? w : (" " + w.Item1, w.Item2)).ToList();
                    if (useRegex) words = SplitAll(words, gpt2, "Isolated", false);
                    return words.Select(w => (ByteLevelMap.Encode(w.Item1), w.Item2)).ToList();
                };
            }
            case "Metaspace":
                return ParseMetaspace(e, file, where);
            case "Digits":
            {
                bool individual = HfJson.GetBool(e, "individual_digits", false, file, where);
                var regex = new Regex(individual ? @"\p{Nd}" : @"\p{Nd}+", RegexOptions.CultureInvariant);
                return words => SplitAll(words, regex, "Isolated", false);
            }
            case "Whitespace":
            {
                var regex = new Regex(@"\w+|[^\w\s]+", RegexOptions.CultureInvariant);
                return words => SplitAll(words, regex, "Removed", true);
            }
            case "WhitespaceSplit":
            {
                var regex = new Regex(@"\s+", RegexOptions.CultureInvariant);
                return words => SplitAll(words, regex, "Removed", false);
            }
            default:
                throw new LoraLabException($"{file}: {where}.type \"{type}\" is not supported (supported: Sequence, Split, ByteLevel, Metaspace, " +
                    "Digits, Whitespace, WhitespaceSplit)");
        }
    }

    private static Func<List<(string, bool)>, List<(string, bool)>> ParseMetaspace(JsonElement e, string file, string where)
    {
        string replacement = HfJson.GetString(e, "replacement", file, where) ?? "\u2581";
        // Newer files: prepend_scheme "always" | "first" | "never"; older ones: add_prefix_space true/false.
        string scheme = HfJson.GetString(e, "prepend_scheme", file, where)
            ?? (HfJson.GetBool(e, "add_prefix_space", true, file, where) ? "always" : "never");
        if (scheme is not ("always" or "first" or "never"))
            throw new LoraLabException($"{file}: {where}.prepend_scheme \"{scheme}\" must be always, first or never");
        bool split = HfJson.GetBool(e, "split", true, file, where);
        var splitter = new Regex(Regex.Escape(replacement), RegexOptions.CultureInvariant);
        return words =>
        {
            var result = new List<(string, bool)>(words.Count);
            foreach (var (text, atStart) in words)
            {
                string s = text.Replace(" ", replacement);
                bool prepend = scheme == "always" || (scheme == "first" && atStart);
                if (prepend && s.Length > 0 && !s.StartsWith(replacement, StringComparison.Ordinal)) s = replacement + s;
                result.Add((s, atStart));
            }
            return split ? SplitAll(result, splitter, "MergedWithNext", false) : result;
        };
    }

    private static void CheckBehavior(string behavior, string file, string where)
    {
        if (behavior is not ("Isolated" or "Removed" or "MergedWithPrevious" or "MergedWithNext" or "Contiguous"))
            throw new LoraLabException($"{file}: {where}.behavior \"{behavior}\" must be Isolated, Removed, MergedWithPrevious, MergedWithNext or Contiguous");
    }

    /// <summary>Hugging Face's split-by-pattern with a delimiter behaviour, applied to every word.</summary>
    private static List<(string, bool)> SplitAll(List<(string Text, bool AtStart)> words, Regex regex, string behavior, bool invert)
    {
        var result = new List<(string, bool)>();
        foreach (var (text, atStart) in words)
        {
            // Cover the text with (start, length, isDelimiter) parts.
            var parts = new List<(int Start, int Length, bool Delim)>();
            int pos = 0;
            for (var m = regex.Match(text); m.Success; m = m.NextMatch())
            {
                if (m.Length == 0) continue;
                if (m.Index > pos) parts.Add((pos, m.Index - pos, invert));
                parts.Add((m.Index, m.Length, !invert));
                pos = m.Index + m.Length;
            }
            if (pos < text.Length) parts.Add((pos, text.Length - pos, invert));

            var pieces = new List<(int Start, int Length)>();
            switch (behavior)
            {
                case "Removed":
                    pieces.AddRange(parts.Where(p => !p.Delim).Select(p => (p.Start, p.Length)));
                    break;
                case "Isolated":
                    pieces.AddRange(parts.Select(p => (p.Start, p.Length)));
                    break;
                case "MergedWithPrevious":
                    for (int i = 0; i < parts.Count; i++)
                    {
                        var p = parts[i];
                        if (p.Delim && i > 0 && !parts[i - 1].Delim) pieces[^1] = (pieces[^1].Start, pieces[^1].Length + p.Length);
                        else pieces.Add((p.Start, p.Length));
                    }
                    break;
                case "MergedWithNext":
                    for (int i = 0; i < parts.Count; i++)
                    {
                        var p = parts[i];
                        if (p.Delim && i + 1 < parts.Count && !parts[i + 1].Delim)
                        {
                            pieces.Add((p.Start, p.Length + parts[i + 1].Length));
                            i++;
                        }
                        else pieces.Add((p.Start, p.Length));
                    }
                    break;
                case "Contiguous":
                    for (int i = 0; i < parts.Count; i++)
                    {
                        var p = parts[i];
                        if (p.Delim && i > 0 && parts[i - 1].Delim) pieces[^1] = (pieces[^1].Start, pieces[^1].Length + p.Length);
                        else pieces.Add((p.Start, p.Length));
                    }
                    break;
            }
            foreach (var (start, length) in pieces) result.Add((text.Substring(start, length), atStart && start == 0));
        }
        return result;
    }
}
