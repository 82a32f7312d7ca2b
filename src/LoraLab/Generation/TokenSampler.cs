using static TorchSharp.torch;

namespace LoraLab.Generation;

/// <summary>Chooses the next token from logits (B, V): greedy, or temperature / top-k / top-p sampling from a seeded generator.</summary>
internal sealed class TokenSampler : IDisposable
{
    private readonly GenerationOptions options;
    private readonly Generator? rng;

    public TokenSampler(GenerationOptions options)
    {
        this.options = options;
        if (options.Temperature > 0) rng = new Generator((ulong)options.Seed);
    }

    /// <summary>Returns the chosen ids (B) as int64.</summary>
    public Tensor Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (rng is null) return logits.argmax(-1).MoveToOuterDisposeScope(); // (B)
        var scaled = logits / options.Temperature; // (B, V)
        if (options.TopK > 0 && options.TopK < scaled.shape[1])
        {
            var kth = scaled.topk(options.TopK, dim: -1).values.narrow(1, options.TopK - 1, 1); // (B, 1)
            scaled = scaled.masked_fill(scaled.lt(kth), double.NegativeInfinity);
        }
        if (options.TopP < 1.0)
        {
            var (sorted, order) = scaled.sort(-1, descending: true); // (B, V) each
            var cumulative = sorted.softmax(-1).cumsum(-1); // (B, V)
            // drop a token when the tokens before it already reach top_p (the first token is always kept)
            var drop = (cumulative - sorted.softmax(-1)).ge(options.TopP); // (B, V)
            var dropInVocabOrder = zeros_like(drop).scatter(1, order, drop); // (B, V)
            scaled = scaled.masked_fill(dropInVocabOrder, double.NegativeInfinity);
        }
        var probs = scaled.softmax(-1); // (B, V)
        return multinomial(probs, 1, generator: rng).squeeze(1).MoveToOuterDisposeScope(); // (B)
    }

    public void Dispose() => rng?.Dispose();
}
