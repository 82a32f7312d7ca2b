namespace LoraLab.Training.Logging;

/// <summary>What one optimizer step reports (one row of metrics.jsonl).</summary>
/// <param name="Step">Optimizer steps completed (1 after the first step).</param>
/// <param name="Loss">Mean token loss of the global batch (sum of token losses / loss tokens), before the update.</param>
/// <param name="Lr">The learning rate this step used.</param>
/// <param name="GradNorm">Global L2 norm of the gradients before clipping.</param>
/// <param name="TokensPerSecond">Input tokens (non-padding) of this step per wall-clock second.</param>
/// <param name="TokensSeen">Input tokens seen since the start of training (all steps, resumed runs included).</param>
/// <param name="LossTokens">Tokens that carried loss in this step.</param>
/// <param name="MemoryMb">The process working set in MB.</param>
/// <param name="StepSeconds">Wall time of the step.</param>
public sealed record StepMetrics(long Step, double Loss, double Lr, double GradNorm, double TokensPerSecond, long TokensSeen,
    long LossTokens, double MemoryMb, double StepSeconds);
