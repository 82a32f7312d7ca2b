using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>Reads HumanEval.jsonl / HumanEval.jsonl.gz (task_id, prompt, entry_point, canonical_solution, test).</summary>
public static class HumanEvalProblems
{
    public static IReadOnlyList<HumanEvalProblem> Read(string path)
    {
        var problems = new List<HumanEvalProblem>();
        var seen = new HashSet<string>();
        foreach (var row in DatasetReader.ReadJsonl(path))
        {
            var p = new HumanEvalProblem(row.GetString("task_id"), row.GetString("prompt"), row.GetString("entry_point"),
                row.Has("canonical_solution") ? row.GetString("canonical_solution") : "", row.GetString("test"));
            if (!seen.Add(p.TaskId)) throw row.Error("task_id", $"'{p.TaskId}' appears twice");
            problems.Add(p);
        }
        if (problems.Count == 0) throw new LoraLabException($"{path}: no problems; pass HumanEval.jsonl or HumanEval.jsonl.gz");
        return problems;
    }
}
