namespace LoraLab.Evaluation.HumanEval;

/// <summary>One generated completion for a problem (a line of samples.jsonl), with where it was read from.</summary>
public sealed record HumanEvalSample(string TaskId, string Completion, string Where = "");
