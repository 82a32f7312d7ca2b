namespace LoraLab.Training.Checkpointing;

/// <summary>
/// <c>manifest.json</c> of a training checkpoint: everything besides the tensors that a resumed run needs to continue
/// exactly where the saved run was. Dropout randomness needs no saved generator state: the trainer reseeds torch's
/// generator before every micro-batch from (seed, step, micro-batch), see <see cref="Rng"/>.
/// </summary>
public sealed record CheckpointManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>"lora" or "full".</summary>
    public string Method { get; init; } = "";

    /// <summary>Optimizer steps completed.</summary>
    public long Step { get; init; }

    /// <summary>Input tokens seen.</summary>
    public long TokensSeen { get; init; }

    /// <summary>The train loader's position (<see cref="Data.DataPosition"/>) of the next micro-batch.</summary>
    public long DataEpoch { get; init; }

    public long DataIndex { get; init; }

    public long Seed { get; init; }

    /// <summary>How dropout randomness is derived (documentation for readers of the file).</summary>
    public string Rng { get; init; } = "torch.manual_seed(splitmix64(seed, step, micro_batch)) before each micro-batch";

    /// <summary>"decoupled_lionw" or "adamw".</summary>
    public string OptimizerName { get; init; } = "";

    public long OptimizerStep { get; init; }

    public double Lr { get; init; }

    public double InitialLr { get; init; }

    /// <summary>Names of the trainable parameters, in the optimizer's order (its state is indexed by position).</summary>
    public IReadOnlyList<string> TrainableParameters { get; init; } = [];

    /// <summary>"float32" or "bfloat16".</summary>
    public string Dtype { get; init; } = "";

    /// <summary>The run's max_duration when saved (informative; a resumed run may change it, e.g. for a cooldown).</summary>
    public string MaxDuration { get; init; } = "";

    /// <summary>Loss of the last step.</summary>
    public double? Loss { get; init; }

    public string CreatedUtc { get; init; } = "";
}
