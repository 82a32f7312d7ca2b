namespace LoraLab.Generation;

/// <summary>How to continue a prompt. Temperature 0 means greedy (argmax) decoding.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 256;
    /// <summary>0 = greedy; otherwise logits are divided by it before sampling.</summary>
    public double Temperature { get; init; }
    /// <summary>Keep only the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }
    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches p (1 = off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>
    /// The seed of a sampled call. Each request draws from its own generator, seeded with <see cref="RequestSeed"/>(Seed, i)
    /// for the i-th prompt of the call unless the caller gives per-prompt seeds, so its tokens do not depend on the other
    /// prompts of the batch.
    /// </summary>
    public long Seed { get; init; }
    /// <summary>Text that ends a completion; the completion is cut before it.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = Array.Empty<string>();
    /// <summary>Stop at the model's EOS token(s).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>
    /// The generator seed of request <paramref name="index"/> under <paramref name="seed"/>: SplitMix64's output mix of
    /// seed ⊕ (index + 1)·0x9E3779B97F4A7C15, so neighbouring requests and seeds get unrelated streams.
    /// </summary>
    public static long RequestSeed(long seed, long index)
    {
        ulong mixed = unchecked((ulong)seed ^ ((ulong)(index + 1) * 0x9E3779B97F4A7C15UL));
        return unchecked((long)new Data.SplitMix64(mixed).NextUInt64());
    }

    public void Validate()
    {
        if (MaxNewTokens < 0) throw new LoraLabException($"max new tokens must be ≥ 0, got {MaxNewTokens}.");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new LoraLabException($"temperature must be ≥ 0, got {Temperature}.");
        if (TopK < 0) throw new LoraLabException($"top-k must be ≥ 0, got {TopK}.");
        if (!(TopP > 0 && TopP <= 1)) throw new LoraLabException($"top-p must be in (0, 1], got {TopP}.");
    }
}
