using LoraLab.Kernels;
using LoraLab.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Evaluation.Model;

/// <summary>Log-probabilities of target tokens from final hidden states, through the model's output projection.</summary>
internal static class TokenScores
{
    /// <summary>
    /// For hidden states <paramref name="hidden"/> (N, K, C) where position k of row n predicts targets[n][k]
    /// (targets shorter than K leave the rest unscored): per row, the sum of log P(target) (float32 log-softmax,
    /// summed in float64), whether every target is the argmax, and the number of scored tokens.
    /// </summary>
    public static LogLikelihoodResult[] Score(LlamaForCausalLM model, Tensor hidden, IReadOnlyList<int[]> targets)
    {
        using var scope = NewDisposeScope();
        long n = hidden.shape[0], k = hidden.shape[1];
        var ids = new long[n * k];
        var valid = new bool[n * k];
        for (int row = 0; row < n; row++)
        {
            if (targets[row].Length > k) throw new ArgumentException($"row {row} has {targets[row].Length} targets for {k} positions");
            for (int j = 0; j < targets[row].Length; j++)
            {
                ids[row * k + j] = targets[row][j];
                valid[row * k + j] = true;
            }
        }
        var logits = nn.functional.linear(hidden, model.OutputWeight).to_type(ScalarType.Float32); // (N, K, V)
        var logProbs = logits.log_softmax(-1); // (N, K, V)
        var target = tensor(ids, new[] { n, k }, device: hidden.device); // (N, K)
        var mask = tensor(valid, new[] { n, k }, device: hidden.device); // (N, K)
        var picked = logProbs.gather(2, target.unsqueeze(2)).squeeze(2).masked_fill(mask.logical_not(), Scalars.Zero); // (N, K)
        var greedy = logits.argmax(-1).eq(target).logical_or(mask.logical_not()).all(1); // (N)
        var sums = picked.to_type(ScalarType.Float64).sum(1).cpu().data<double>().ToArray(); // (N)
        var allGreedy = greedy.cpu().data<bool>().ToArray(); // (N)
        var results = new LogLikelihoodResult[n];
        for (int row = 0; row < n; row++) results[row] = new LogLikelihoodResult(sums[row], allGreedy[row]);
        return results;
    }

    /// <summary>A right-padded (rows, width) int64 tensor of the given id rows (padding id 0), on <paramref name="device"/> (default CPU).</summary>
    public static Tensor RightPadded(IReadOnlyList<int[]> rows, int width, Device? device = null)
    {
        var data = new long[rows.Count * width];
        for (int r = 0; r < rows.Count; r++)
            for (int t = 0; t < rows[r].Length; t++) data[r * width + t] = rows[r][t];
        return tensor(data, new long[] { rows.Count, width }, device: device); // (N, W)
    }

    /// <summary>A (rows, width) 0/1 int64 mask with the first lengths[r] entries of row r set, on <paramref name="device"/> (default CPU).</summary>
    public static Tensor PrefixMask(IReadOnlyList<int> lengths, int width, Device? device = null)
    {
        var data = new long[lengths.Count * width];
        for (int r = 0; r < lengths.Count; r++)
            for (int t = 0; t < lengths[r]; t++) data[r * width + t] = 1;
        return tensor(data, new long[] { lengths.Count, width }, device: device); // (N, W)
    }
}
