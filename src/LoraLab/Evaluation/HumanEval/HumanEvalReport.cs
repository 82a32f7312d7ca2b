namespace LoraLab.Evaluation.HumanEval;

/// <summary>
/// The result of evaluate_functional_correctness: pass@k (averaged over attempted problems, for each k every attempted
/// problem has at least k samples for), counts, per-sample results and the sandbox that ran them.
/// </summary>
public sealed record HumanEvalReport(
    IReadOnlyDictionary<int, double> PassAtK,
    int ProblemsAttempted,
    int ProblemsTotal,
    IReadOnlyList<HumanEvalSampleResult> Results,
    SandboxEnvironment Sandbox,
    SandboxOptions Options);
