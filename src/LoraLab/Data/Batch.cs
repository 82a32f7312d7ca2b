using TorchSharp;

namespace LoraLab.Data;

/// <summary>
/// One batch for a causal LM, already shifted: <c>Labels[b, t]</c> is the target of the logits at <c>InputIds[b, t]</c>
/// (the next token), so the loss is <c>cross_entropy(logits.view(B·T, V), labels.view(B·T), ignore_index: -100)</c>
/// with NO further shift. Positions whose label is <see cref="IgnoreIndex"/> (prompt tokens, padding) carry no loss.
/// Tensors live on the CPU, are int64 and owned by this object.
/// </summary>
public sealed class Batch : IDisposable
{
    /// <summary>The label that the loss ignores (PyTorch's cross_entropy default ignore_index).</summary>
    public const long IgnoreIndex = -100;

    public Batch(torch.Tensor inputIds, torch.Tensor labels, torch.Tensor? attentionMask, long lossTokens, long realTokens)
    {
        InputIds = inputIds;
        Labels = labels;
        AttentionMask = attentionMask;
        LossTokens = lossTokens;
        RealTokens = realTokens;
    }

    /// <summary>(B, T) int64 token ids; padding (right side) uses the loader's pad id.</summary>
    public torch.Tensor InputIds { get; }

    /// <summary>(B, T) int64 next-token targets, -100 where ignored.</summary>
    public torch.Tensor Labels { get; }

    /// <summary>(B, T) int64, 1 for real tokens and 0 for padding; null when no row of this batch is padded.</summary>
    public torch.Tensor? AttentionMask { get; }

    /// <summary>Number of labels that are not -100 (the loss's denominator).</summary>
    public long LossTokens { get; }

    /// <summary>Number of non-padding input positions (Composer's token count for <c>tok</c> durations).</summary>
    public long RealTokens { get; }

    public long BatchSize => InputIds.shape[0];

    public long SequenceLength => InputIds.shape[1];

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask?.Dispose();
    }
}
