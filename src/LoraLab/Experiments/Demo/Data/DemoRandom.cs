using LoraLab.Data;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The demo generators' deterministic randomness: a <see cref="SplitMix64"/> stream per generated item, seeded from
/// (user seed, stream tag, item index), so item i is the same whatever count is asked for and no two streams share seeds.
/// </summary>
internal sealed class DemoRandom
{
    private readonly SplitMix64 _rng;

    public DemoRandom(ulong seed)
    {
        _rng = new SplitMix64(seed);
    }

    /// <summary>The random stream for item <paramref name="index"/> of stream <paramref name="tag"/> under <paramref name="seed"/>.</summary>
    public static DemoRandom For(int seed, ulong tag, long index) =>
        new(Mix(Mix((ulong)(uint)seed ^ (tag * 0xD1B54A32D192ED03UL)) + (ulong)index * 0x9E3779B97F4A7C15UL));

    /// <summary>A uniform integer in [0, n).</summary>
    public int Next(int n) => (int)_rng.NextBelow((ulong)n);

    /// <summary>A uniform integer in [lo, hi] (inclusive).</summary>
    public int Range(int lo, int hi) => lo + Next(hi - lo + 1);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => (_rng.NextUInt64() >> 11) * (1.0 / (1UL << 53)) < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>The SplitMix64 output function.</summary>
    public static ulong Mix(ulong z) => SplitMix64.Mix(z);

    /// <summary>FNV-1a (64-bit) over the UTF-16 code units of <paramref name="text"/>, then mixed: a stable text hash.</summary>
    public static ulong Hash(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        unchecked
        {
            foreach (char c in text)
            {
                h = (h ^ (byte)c) * 0x100000001B3UL;
                h = (h ^ (byte)(c >> 8)) * 0x100000001B3UL;
            }
        }
        return Mix(h);
    }
}
