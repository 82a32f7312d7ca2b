namespace LoraLab.Evaluation.HumanEval;

/// <summary>One executed sample: its problem, its index among that problem's samples, the completion and the run result.</summary>
public sealed record HumanEvalSampleResult(string TaskId, int CompletionId, string Completion, ExecutionResult Execution);
