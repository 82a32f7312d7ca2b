namespace LoraLab.Data;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014; the seeding generator of xoshiro): a tiny, fully specified 64-bit PRNG,
/// identical on every platform and .NET version (unlike <see cref="System.Random"/>'s unspecified algorithm).
/// <code>
/// state += 0x9E3779B97F4A7C15
/// z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)
/// </code>
/// </summary>
public sealed class SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    public ulong NextUInt64()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            return Mix(_state);
        }
    }

    /// <summary>The output function (a 64-bit finalizer): a bijection that scrambles every input bit into every output bit.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A uniform integer in [0, n) by rejection (no modulo bias).</summary>
    public ulong NextBelow(ulong n)
    {
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong limit = ulong.MaxValue - ulong.MaxValue % n; // accept x < limit, a multiple of n
        ulong x;
        do x = NextUInt64(); while (x >= limit);
        return x % n;
    }

    /// <summary>
    /// The sample order of an epoch: a Fisher–Yates shuffle of 0..count−1 (for i = count−1 … 1: swap(i, NextBelow(i+1)))
    /// driven by SplitMix64 seeded with <c>seed ⊕ (epoch · 0x9E3779B97F4A7C15)</c>, so every epoch has its own order.
    /// </summary>
    public static int[] EpochPermutation(long count, ulong seed, long epoch)
    {
        if (count > int.MaxValue) throw new LoraLabException($"data set has {count} samples; at most {int.MaxValue} are supported");
        var order = new int[count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = new SplitMix64(unchecked(seed ^ ((ulong)epoch * 0x9E3779B97F4A7C15UL)));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)rng.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
