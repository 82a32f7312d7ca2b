using LoraLab.Checkpoints;
using LoraLab.Tokenization;
using LoraLab.Training;

namespace LoraLab.Evaluation.Suite;

/// <summary>How <see cref="RunEvaluation"/> goes through a run (the tasks themselves are <see cref="EvalSuiteOptions"/>).</summary>
public sealed record RunEvaluationOptions
{
    /// <summary>Which checkpoints: all (default), final, or every N steps.</summary>
    public CheckpointSelection Selection { get; init; } = CheckpointSelection.All;

    /// <summary>Compute dtype: "fp32" (default) or "bf16".</summary>
    public string Dtype { get; init; } = "fp32";

    /// <summary>Where step files and curve.jsonl go (default RUN/eval).</summary>
    public string? OutDir { get; init; }

    /// <summary>The tokenizer to evaluate with (default: the run's, from its config or base model directory).</summary>
    public ITokenizer? Tokenizer { get; init; }

    /// <summary>Progress and ETA lines (null: quiet).</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Called after each checkpoint's results are written (tests stop a run here to check resuming).</summary>
    public Action<ModelSource>? AfterCheckpoint { get; init; }
}
