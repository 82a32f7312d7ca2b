using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// A 0/1 dropout mask stored as bits: eight entries per byte, most significant first (numpy's packbits order), each row
/// packed on its own. <see cref="Draw"/> makes one directly in packed form: entry e of a draw keeps with probability
/// 1 − p, decided by SplitMix64(seed + e·γ) ≥ p·2⁶⁴ — counter-based, so a draw is the same whatever the block order —
/// with the seed taken from libtorch's global generator, so <c>manual_seed</c> and checkpointed RNG state reproduce it.
/// libtorch's own bernoulli_ is a serial per-element loop on non-Intel CPUs: about 5× slower than this.
/// </summary>
internal static class DropoutMask
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>A fresh (rows, ⌈width/8⌉) packed mask whose entries are kept with probability 1 − <paramref name="p"/>.</summary>
    public static Tensor Draw(long rows, long width, double p)
    {
        long seed = randint(0, long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64).item<long>();
        return Draw(rows, width, p, (ulong)seed);
    }

    /// <summary>The packed mask for an explicit <paramref name="seed"/> (see <see cref="Draw(long, long, double)"/>).</summary>
    public static Tensor Draw(long rows, long width, double p, ulong seed)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        long bytesPerRow = (width + 7) / 8;
        var packed = new byte[rows * bytesPerRow];
        ulong threshold = p <= 0 ? 0UL : (ulong)(p * 18446744073709551616.0); // p · 2⁶⁴
        for (long i = 0; i < rows; i++)
        {
            ulong rowBase = seed + (ulong)(i * width) * Gamma;
            long o = i * bytesPerRow;
            for (long j = 0; j < bytesPerRow; j++)
            {
                int b = 0;
                long first = j * 8, count = Math.Min(8, width - first);
                for (long k = 0; k < count; k++)
                {
                    ulong z = rowBase + (ulong)(first + k + 1) * Gamma;
                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                    z ^= z >> 31;
                    if (z >= threshold) b |= 0x80 >> (int)k;
                }
                packed[o + j] = (byte)b;
            }
        }
        return tensor(packed, new[] { rows, bytesPerRow }, ScalarType.Byte);
    }

    private static readonly byte[] BitValues = { 128, 64, 32, 16, 8, 4, 2, 1 };

    /// <summary>Packs each row of a 0/1 (rows, width) tensor on its own: (rows, ⌈width/8⌉) uint8.</summary>
    public static Tensor PackRows(Tensor keep)
    {
        using var scope = NewDisposeScope();
        long rows = keep.shape[0], width = keep.shape[1], pad = (8 - width % 8) % 8;
        var k = keep.to_type(ScalarType.Byte); // (rows, width)
        if (pad > 0) k = cat(new[] { k, zeros(rows, pad, dtype: ScalarType.Byte) }, 1); // (rows, width + pad)
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        return k.view(rows, -1, 8).mul(bits).sum(2, type: ScalarType.Byte).MoveToOuterDisposeScope(); // (rows, ⌈width/8⌉)
    }

    /// <summary>Inverse of <see cref="PackRows"/>: a (rows, width) bool tensor.</summary>
    public static Tensor UnpackRows(Tensor packed, long width)
    {
        using var scope = NewDisposeScope();
        long rows = packed.shape[0];
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        var flat = packed.unsqueeze(2).bitwise_and(bits).ne(0).view(rows, -1); // (rows, ⌈width/8⌉, 8) -> (rows, 8⌈width/8⌉)
        return flat.narrow(1, 0, width).MoveToOuterDisposeScope(); // (rows, width)
    }
}
