using LoraLab.Data;
using LoraLab.Kernels;
using LoraLab.Models;
using LoraLab.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Training;

/// <summary>
/// The training loss on already-shifted batches (<see cref="Batch"/>: labels[b, t] is the target of logits[b, t]):
/// the SUM of token cross-entropies over labels ≠ -100. The trainer divides the sums of a global batch by its total
/// loss-token count, so every token weighs the same however the batch is split into micro-batches (torchtune/llm-foundry).
/// </summary>
public static class TokenLoss
{
    /// <summary>
    /// Σ −log p(label) over the batch's non-ignored labels: a scalar float32 tensor (with grad when the model has).
    /// The output projection and the loss run chunk by chunk (<see cref="LinearCrossEntropy"/>): the (B, T, V) logits
    /// are never held whole.
    /// </summary>
    public static Tensor Sum(LlamaForCausalLM model, Batch batch)
    {
        using var scope = NewDisposeScope();
        var device = model.Device;
        var h = model.Model.Forward(batch.InputIds.to(device), batch.AttentionMask?.to(device)); // (B, T, C)
        using var amp = model.Model.AutocastDType is null ? null : Autocast.Enter(model.Model.AutocastDType);
        var loss = LinearCrossEntropy.Sum(Autocast.Cast(h), Autocast.Cast(model.OutputWeight), batch.Labels.to(device)); // float32 logits inside
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean token loss of a whole data set, in order, <paramref name="batchSize"/> samples at a time (the last batch may
    /// be smaller), without gradients and with dropout off; the model's train/eval mode is restored afterwards.
    /// </summary>
    public static (double MeanLoss, long Tokens) Evaluate(LlamaForCausalLM model, ITokenSampleSource source, int batchSize, long padId = 0,
        int? maxSamples = null)
    {
        using var evalMode = EvalMode.Enter(model);
        using var noGrad = no_grad();
        double sum = 0;
        long tokens = 0;
        int count = Math.Min(source.Count, maxSamples ?? int.MaxValue);
        for (int start = 0; start < count; start += batchSize)
        {
            var samples = Enumerable.Range(start, Math.Min(batchSize, count - start)).Select(source.GetSample).ToList();
            using var batch = BatchLoader.Collate(samples, padId);
            if (batch.LossTokens == 0) continue;
            using var scope = NewDisposeScope();
            sum += Sum(model, batch).item<float>();
            tokens += batch.LossTokens;
        }
        return (tokens > 0 ? sum / tokens : double.NaN, tokens);
    }
}
