using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// ARC-Challenge / ARC-Easy as lm-eval's <c>arc_challenge</c> / <c>arc_easy</c>: query "Question: {stem}\nAnswer:",
/// choices " " + text, gold = index of answerKey among the choice labels (labels are A–E or 1–5).
/// Reads the original AI2 jsonl (question.stem, question.choices[].text/.label) and the Hugging Face schema
/// (question a string, choices {text: [...], label: [...]}).
/// </summary>
public sealed class ArcTask : MultipleChoiceTask
{
    public ArcTask(string name, IReadOnlyList<DatasetRow> rows, IReadOnlyList<DatasetRow>? fewShotRows = null)
        : base(name, rows.Select(Parse).ToList(), fewShotRows?.Select(Parse).ToList())
    {
    }

    public static ArcTask Challenge(string path, string? fewShotPath = null) => FromFiles("arc_challenge", path, fewShotPath);

    public static ArcTask Easy(string path, string? fewShotPath = null) => FromFiles("arc_easy", path, fewShotPath);

    public static ArcTask FromFiles(string name, string path, string? fewShotPath) =>
        new(name, DatasetReader.Read(path), fewShotPath is null ? null : DatasetReader.Read(fewShotPath));

    public static MultipleChoiceDoc Parse(DatasetRow row)
    {
        string stem;
        List<string> texts, labels;
        if (row.Data["question"] is System.Text.Json.Nodes.JsonObject question)
        {
            // AI2: {"question": {"stem": ..., "choices": [{"text": ..., "label": ...}]}}
            stem = row.AsString(question["stem"], "question.stem");
            var choices = question["choices"] as System.Text.Json.Nodes.JsonArray
                ?? throw row.Error("question.choices", "must be a list of {text, label}");
            texts = [];
            labels = [];
            for (int i = 0; i < choices.Count; i++)
            {
                var choice = choices[i] as System.Text.Json.Nodes.JsonObject
                    ?? throw row.Error($"question.choices[{i}]", "must be an object {text, label}");
                texts.Add(row.AsString(choice["text"], $"question.choices[{i}].text"));
                labels.Add(row.AsString(choice["label"], $"question.choices[{i}].label"));
            }
        }
        else
        {
            // Hugging Face allenai/ai2_arc: {"question": str, "choices": {"text": [...], "label": [...]}}
            stem = row.GetString("question");
            texts = row.GetStringList("choices", "text").ToList();
            labels = row.GetStringList("choices", "label").ToList();
            if (texts.Count != labels.Count)
                throw row.Error("choices", $"has {texts.Count} texts but {labels.Count} labels");
        }
        string key = row.GetString("answerKey");
        int gold = labels.IndexOf(key);
        if (gold < 0) throw row.Error("answerKey", $"'{key}' is not one of the choice labels [{string.Join(", ", labels)}]");
        return Checked(row, "answerKey", new MultipleChoiceDoc($"Question: {stem}\nAnswer:", texts, gold));
    }
}
