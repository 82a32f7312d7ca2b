using LoraLab.Evaluation.Tasks;

namespace LoraLab.Evaluation.HumanEval;

/// <summary>The stop sequences of the HumanEval paper (Codex): a completion ends at a new top-level statement.</summary>
public static class HumanEvalStops
{
    public static readonly IReadOnlyList<string> StopSequences = ["\nclass", "\ndef", "\n#", "\nif", "\nprint"];

    /// <summary>Cuts the completion before the first stop sequence.</summary>
    public static string Truncate(string completion) => PythonText.TruncateAtStops(completion, StopSequences);
}
