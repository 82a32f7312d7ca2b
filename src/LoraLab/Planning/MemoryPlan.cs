namespace LoraLab.Planning;

/// <summary>
/// A run's predicted memory, in bytes, by what holds it (see <see cref="MemoryPlanner"/> for the accounting).
/// <see cref="TotalBytes"/> is the predicted peak, not the sum: gradients fill in while backward frees activations, so
/// the two are never both whole; the peak is the larger of the start of backward (every activation, the output
/// projection's gradient) and its end (every gradient).
/// </summary>
public sealed record MemoryPlan
{
    public required string Method { get; init; }
    public required string Precision { get; init; }
    public required int MicroBatch { get; init; }
    public required int SeqLen { get; init; }
    public required bool ActivationCheckpointing { get; init; }
    public required long Parameters { get; init; }
    public required long TrainableParameters { get; init; }

    /// <summary>The weights (float32 master copies under amp_bf16) plus, under amp_bf16, the bfloat16 copies backward keeps.</summary>
    public required long WeightsBytes { get; init; }

    /// <summary>Every trainable parameter's gradient (held together from the end of backward to the optimizer step).</summary>
    public required long GradientsBytes { get; init; }

    /// <summary>The optimizer's state: AdamW two moments, Lion one, per trainable parameter.</summary>
    public required long OptimizerStateBytes { get; init; }

    /// <summary>What the forward keeps for backward, at the start of backward (all layers, or their inputs when checkpointing).</summary>
    public required long ActivationsBytes { get; init; }

    /// <summary>Gradients alive at the start of backward: the output projection's, computed by the loss node in forward.</summary>
    public required long HeadGradientBytes { get; init; }

    /// <summary>The process itself: libtorch, the .NET runtime, allocator slack (a measured constant).</summary>
    public required long RuntimeBytes { get; init; }

    public long TotalBytes => WeightsBytes + OptimizerStateBytes + RuntimeBytes
        + Math.Max(ActivationsBytes + HeadGradientBytes, GradientsBytes);
}
