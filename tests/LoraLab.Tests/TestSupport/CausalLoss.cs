using LoraLab.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.TestSupport;

/// <summary>
/// The textbook next-token loss over full logits, the reference the fused training loss and the evaluator are checked
/// against: position t of <paramref name="logits"/> (B, T, V) predicts labels[t+1] of (B, T); labels equal to
/// <see cref="LlamaForCausalLM.IgnoreIndex"/> are skipped. Reduction "mean" (per counted token) or "sum".
/// </summary>
public static class CausalLoss
{
    public static Tensor Compute(Tensor logits, Tensor labels, bool sum = false)
    {
        using var scope = NewDisposeScope();
        long v = logits.shape[2];
        var shiftLogits = logits.narrow(1, 0, logits.shape[1] - 1).reshape(-1, v); // (B·(T−1), V)
        var shiftLabels = labels.narrow(1, 1, labels.shape[1] - 1).reshape(-1); // (B·(T−1))
        var loss = nn.functional.cross_entropy(shiftLogits, shiftLabels, ignore_index: LlamaForCausalLM.IgnoreIndex,
            reduction: sum ? nn.Reduction.Sum : nn.Reduction.Mean);
        return loss.MoveToOuterDisposeScope();
    }
}
