using System.Text.RegularExpressions;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// lm-eval's gsm8k answer filters and exact_match normalisation (gsm8k.yaml):
/// strict-match = regex <c>#### (\-?[0-9\.\,]+)</c>, first match; flexible-extract = regex
/// <c>(-?[$0-9.,]{2,})|(-?[0-9]+)</c>, last match (group_select −1, first non-empty group); no match → "[invalid]".
/// exact_match removes <c>regexes_to_ignore</c> [",", "\$", "(?s).*#### ", "\.$"] from prediction and gold, then compares case-insensitively.
/// </summary>
public static partial class Gsm8kAnswer
{
    public const string Invalid = "[invalid]";

    public const string StrictFilter = "strict-match";

    public const string FlexibleFilter = "flexible-extract";

    private static readonly Regex[] RegexesToIgnore =
        [new(","), new(@"\$"), new(@"(?s).*#### "), new(@"\.$")];

    /// <summary>The strict-match filter: the number after the first "#### ".</summary>
    public static string StrictMatch(string response) => Extract(Strict(), response, groupSelect: 0);

    /// <summary>The flexible-extract filter: the last number-like token.</summary>
    public static string FlexibleExtract(string response) => Extract(Flexible(), response, groupSelect: -1);

    /// <summary>Applies <c>regexes_to_ignore</c> in order, then lower-cases (ignore_case).</summary>
    public static string Normalize(string text)
    {
        foreach (var regex in RegexesToIgnore) text = regex.Replace(text, "");
        return text.ToLowerInvariant();
    }

    /// <summary>lm-eval exact_match between an extracted prediction and the full gold answer.</summary>
    public static bool ExactMatch(string prediction, string gold) => Normalize(prediction) == Normalize(gold);

    /// <summary>lm-eval's RegexFilter: findall, pick match[groupSelect], first non-empty group of a tuple, strip.</summary>
    private static string Extract(Regex regex, string response, int groupSelect)
    {
        var matches = regex.Matches(response);
        if (matches.Count == 0) return Invalid;
        var match = matches[groupSelect < 0 ? matches.Count + groupSelect : groupSelect];
        string value;
        if (match.Groups.Count <= 1) value = match.Value;
        else if (match.Groups.Count == 2) value = match.Groups[1].Value;
        else
        {
            var nonEmpty = match.Groups.Cast<Group>().Skip(1).Select(g => g.Value).FirstOrDefault(v => v.Length > 0);
            if (nonEmpty is null) return Invalid;
            value = nonEmpty;
        }
        return value.Trim();
    }

    [GeneratedRegex(@"#### (\-?[0-9\.\,]+)")]
    private static partial Regex Strict();

    [GeneratedRegex(@"(-?[$0-9.,]{2,})|(-?[0-9]+)")]
    private static partial Regex Flexible();
}
