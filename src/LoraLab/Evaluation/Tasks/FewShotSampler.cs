using LoraLab.Data;

namespace LoraLab.Evaluation.Tasks;

/// <summary>
/// Chooses few-shot examples from a pool (a train / few-shot split). Random sampling is deterministic in
/// (seed, document index) — a document gets the same examples whatever --limit is — and never returns an excluded
/// entry (the evaluated item itself, when it also appears in the pool) or the same entry twice.
/// </summary>
/// <remarks>
/// lm-eval draws with Python's <c>random.Random(1234).sample</c> shared across documents; we use SplitMix64 per
/// document instead, so the exact examples differ from lm-eval's but the procedure (k distinct examples, fixed seed,
/// the item excluded) is the same. <see cref="FirstN"/> is lm-eval's <c>first_n</c> sampler (GSM8K's default).
/// </remarks>
public static class FewShotSampler
{
    /// <summary>k distinct pool indices drawn at random, none excluded.</summary>
    public static IReadOnlyList<int> Sample(int poolCount, int k, int seed, int docIndex, Func<int, bool> isExcluded)
    {
        if (k == 0) return [];
        var rng = new SplitMix64(SplitMix64.Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ SplitMix64.Mix(0xD1B54A32D192ED03UL + (ulong)(uint)docIndex));
        var chosen = new List<int>(k);
        var seen = new HashSet<int>();
        int attempts = 0, maxAttempts = 1000 + 100 * k;
        while (chosen.Count < k)
        {
            if (++attempts > maxAttempts || poolCount == 0)
                throw new LoraLabException($"cannot draw {k} distinct few-shot examples from a pool of {poolCount}; lower --num-fewshot or give a " +
                    "larger few-shot file");
            int index = (int)(((UInt128)rng.NextUInt64() * (ulong)poolCount) >> 64);
            if (seen.Add(index) && !isExcluded(index)) chosen.Add(index);
        }
        return chosen;
    }

    /// <summary>The first k pool indices that are not excluded (lm-eval's first_n sampler).</summary>
    public static IReadOnlyList<int> FirstN(int poolCount, int k, Func<int, bool> isExcluded)
    {
        var chosen = new List<int>(k);
        for (int i = 0; i < poolCount && chosen.Count < k; i++)
            if (!isExcluded(i)) chosen.Add(i);
        if (chosen.Count < k)
            throw new LoraLabException($"the few-shot file has only {chosen.Count} usable examples, {k} requested; lower --num-fewshot");
        return chosen;
    }

    /// <summary>Joins rendered examples with lm-eval's few-shot delimiter "\n\n" and appends one more, ready to prefix the item.</summary>
    public static string Prefix(IEnumerable<string> renderedExamples)
    {
        var list = renderedExamples.ToList();
        return list.Count == 0 ? "" : string.Join("\n\n", list) + "\n\n";
    }
}
