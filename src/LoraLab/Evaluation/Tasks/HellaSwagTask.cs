using System.Text.RegularExpressions;
using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// HellaSwag as lm-eval's <c>hellaswag</c> task: query = preprocess(activity_label + ": " + ctx_a + " " +
/// ctx_b.capitalize()), choices = preprocess(ending) for each ending, gold = int(label). Reads the upstream
/// rowanz jsonl (label a number) and the Hugging Face schema (label a string; ctx_a/ctx_b, or ctx alone).
/// </summary>
public sealed partial class HellaSwagTask : MultipleChoiceTask
{
    public HellaSwagTask(IReadOnlyList<DatasetRow> rows, IReadOnlyList<DatasetRow>? fewShotRows = null)
        : base("hellaswag", rows.Select(Parse).ToList(), fewShotRows?.Select(Parse).ToList())
    {
    }

    /// <summary>Reads the evaluation file (and optionally a few-shot file) in any supported format.</summary>
    public static HellaSwagTask FromFiles(string path, string? fewShotPath = null) =>
        new(DatasetReader.Read(path), fewShotPath is null ? null : DatasetReader.Read(fewShotPath));

    /// <summary>lm-eval's hellaswag <c>preprocess</c>: strip, " [title]" → ". ", drop [tags], "  " → " ".</summary>
    public static string Preprocess(string text)
    {
        text = text.Trim();
        text = text.Replace(" [title]", ". ");
        text = BracketTag().Replace(text, "");
        text = text.Replace("  ", " ");
        return text;
    }

    public static MultipleChoiceDoc Parse(DatasetRow row)
    {
        string ctx = row.Has("ctx_a")
            ? row.GetString("ctx_a") + " " + PythonText.Capitalize(row.GetString("ctx_b"))
            : row.GetString("ctx");
        string query = Preprocess(row.GetString("activity_label") + ": " + ctx);
        var choices = row.GetStringList("endings").Select(Preprocess).ToList();
        return Checked(row, "label", new MultipleChoiceDoc(query, choices, row.GetIntOrIntString("label")));
    }

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex BracketTag();
}
