namespace LoraLab.Training;

/// <summary>What <see cref="Trainer.Run"/> did.</summary>
/// <param name="Steps">Optimizer steps completed (resumed steps included).</param>
/// <param name="TotalSteps">Steps of the whole run (max_duration).</param>
/// <param name="TokensSeen">Input tokens seen.</param>
/// <param name="LastLoss">Loss of the last step, or null when no step ran.</param>
/// <param name="LastEvalLoss">The last eval loss, or null.</param>
/// <param name="RunDirectory">The run directory.</param>
/// <param name="FinalDirectory">final/ (null when the run stopped early).</param>
public sealed record TrainResult(long Steps, long TotalSteps, long TokensSeen, double? LastLoss, double? LastEvalLoss, string RunDirectory,
    string? FinalDirectory);
