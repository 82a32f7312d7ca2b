using LoraLab.Kernels;
using LoraLab.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Generation;

/// <summary>
/// Chooses the next token of every row from logits (B, V): greedy (argmax) at temperature 0, else a draw from
/// <see cref="Probabilities"/> with the row's OWN generator — a <see cref="SplitMix64"/> seeded with the row's request
/// seed — so a request's samples depend only on its seed and its logits, never on the other rows of its batch.
/// A draw is one uniform u = 53 bits / 2^53 and the first token whose running probability sum (in double) exceeds
/// u × the row's total.
/// </summary>
internal sealed class TokenSampler
{
    private readonly GenerationOptions options;
    private readonly SplitMix64[]? rows;

    /// <param name="seeds">One seed per row (see <see cref="GenerationOptions.RequestSeed"/>).</param>
    public TokenSampler(GenerationOptions options, IReadOnlyList<long> seeds)
    {
        this.options = options;
        if (options.Temperature > 0) rows = seeds.Select(s => new SplitMix64(unchecked((ulong)s))).ToArray();
    }

    /// <summary>Whether the choice is greedy (temperature 0): the first maximum of the logits.</summary>
    public bool Greedy => rows is null;

    /// <summary>The chosen id of every row (B).</summary>
    public long[] Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (rows is null) return logits.argmax(-1).data<long>().ToArray(); // (B)
        if (logits.shape[0] != rows.Length) throw new ArgumentException($"{logits.shape[0]} rows of logits for {rows.Length} generators");
        int vocab = (int)logits.shape[1];
        float[] probs = Probabilities(logits, options).contiguous().data<float>().ToArray(); // (B·V)
        var ids = new long[rows.Length];
        for (int b = 0; b < rows.Length; b++) ids[b] = Draw(rows[b], probs.AsSpan(b * vocab, vocab));
        return ids;
    }

    /// <summary>
    /// The chosen id for one row of logits (V) — the only row, with the first generator — the same choice <see cref="Next"/>
    /// makes for a (1, V) tensor: greedy takes the first maximum (as libtorch's argmax).
    /// </summary>
    public int NextOne(ReadOnlySpan<float> logits)
    {
        if (rows is null) return ArgMax(logits);
        using var scope = NewDisposeScope();
        var row = tensor(logits.ToArray(), new long[] { 1, logits.Length }); // (1, V)
        float[] probs = Probabilities(row, options).data<float>().ToArray(); // (V)
        return (int)Draw(rows[0], probs);
    }

    /// <summary>libtorch's argmax of one row: the first maximum, where NaN counts as larger than any number.</summary>
    internal static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (float.IsNaN(logits[best])) break;
            if (logits[i] > logits[best] || float.IsNaN(logits[i])) best = i;
        }
        return best;
    }

    /// <summary>
    /// The sampling distribution (B, V), float32, in transformers' order: logits / temperature; then top-k keeps every
    /// token whose scaled logit is ≥ the k-th largest (ties with the k-th are kept); then top-p keeps the smallest set of
    /// most likely tokens whose probability reaches p — a token is dropped when the tokens ranked before it already hold
    /// ≥ p; among equal probabilities the lower token id ranks first; then softmax over what is kept.
    /// </summary>
    public static Tensor Probabilities(Tensor logits, GenerationOptions options)
    {
        using var scope = NewDisposeScope();
        using Scalar temperature = options.Temperature.ToScalar(), minusInfinity = double.NegativeInfinity.ToScalar(), topP = options.TopP.ToScalar();
        var scaled = logits.to_type(ScalarType.Float32).div(temperature); // (B, V)
        if (options.TopK > 0 && options.TopK < scaled.shape[1])
        {
            var kth = scaled.topk(options.TopK, dim: -1).values.narrow(1, options.TopK - 1, 1); // (B, 1)
            scaled = scaled.masked_fill(scaled.lt(kth), minusInfinity);
        }
        if (options.TopP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: true, stable: true); // (B, V) each; ties keep id order
            var p = sorted.softmax(-1, ScalarType.Float64); // (B, V)
            var before = p.cumsum(-1) - p; // (B, V): mass of the tokens ranked before each one
            var drop = before.ge(topP); // (B, V); the first token is always kept
            var dropInVocabOrder = zeros_like(drop).scatter(1, order, drop); // (B, V)
            scaled = scaled.masked_fill(dropInVocabOrder, minusInfinity);
        }
        return scaled.softmax(-1).MoveToOuterDisposeScope(); // (B, V)
    }

    /// <summary>Inverse-CDF draw from one row of probabilities (float rounding of their sum is normalised away).</summary>
    internal static long Draw(SplitMix64 rng, ReadOnlySpan<float> probs)
    {
        double total = 0;
        foreach (float p in probs) total += p;
        double u = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53)) * total; // uniform in [0, total)
        double running = 0;
        int last = -1;
        for (int i = 0; i < probs.Length; i++)
        {
            if (probs[i] <= 0) continue;
            running += probs[i];
            last = i;
            if (u < running) return i;
        }
        return last; // u within rounding of the total: the last token that can be drawn
    }
}
