using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The language-model loss from final hidden states: Σ −log softmax(h Wᵀ)[label] over labels ≠ -100, without
/// materialising the (N, V) logits (see <see cref="LinearCrossEntropyFunction"/>). Equal to
/// cross_entropy(linear(h, W), labels, reduction: sum) within float32 rounding, with the same gradients. On the CPU
/// the chunked node runs unless <see cref="KernelSwitch"/> selects <see cref="Reference"/>; off the CPU the reference runs.
/// </summary>
public static class LinearCrossEntropy
{
    /// <summary>Target size of one chunk's float32 logits; small enough to stay in the allocator's reusable heap.</summary>
    public const long ChunkBytes = 16L << 20;

    private const long IgnoreIndex = -100;

    /// <param name="hidden">(…, C) final hidden states.</param>
    /// <param name="weight">(V, C) output projection (lm_head, or the tied embedding).</param>
    /// <param name="labels">(…) int64 targets aligned with <paramref name="hidden"/>; -100 is ignored.</param>
    /// <param name="chunkTokens">Tokens per chunk; by default as many as fit <see cref="ChunkBytes"/>.</param>
    public static Tensor Sum(Tensor hidden, Tensor weight, Tensor labels, int? chunkTokens = null)
    {
        using var scope = NewDisposeScope();
        long c = hidden.shape[^1], v = weight.shape[0];
        if (weight.shape[1] != c)
            throw new ArgumentException($"output weight is ({v}, {weight.shape[1]}) but hidden states have width {c}.");
        var h = hidden.reshape(-1, c); // (N, C)
        var l = labels.reshape(-1); // (N)
        if (l.shape[0] != h.shape[0])
            throw new ArgumentException($"{l.shape[0]} labels for {h.shape[0]} hidden states.");
        int chunk = chunkTokens ?? (int)Math.Max(1, ChunkBytes / (4 * v));
        if (chunk <= 0) throw new ArgumentException($"chunk must be positive, got {chunk}.");
        if (!KernelSwitch.Fused(h)) return Reference(h, weight, l).MoveToOuterDisposeScope();
        bool grad = is_grad_enabled() && (h.requires_grad || weight.requires_grad);
        return LinearCrossEntropyFunction.apply(h, weight, l, chunk, grad).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reference, on any device: the whole (N, V) logits in float32, then cross_entropy(sum); libtorch's autograd
    /// gives the gradients. <paramref name="hidden"/> (N, C), <paramref name="weight"/> (V, C), <paramref name="labels"/> (N).
    /// </summary>
    public static Tensor Reference(Tensor hidden, Tensor weight, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var logits = nn.functional.linear(hidden, weight).to_type(ScalarType.Float32); // (N, V)
        var loss = nn.functional.cross_entropy(logits, labels, ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum);
        return loss.MoveToOuterDisposeScope();
    }
}
