using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// A 0/1 dropout mask stored as bits, eight entries per byte, least significant first (numpy's
/// <c>packbits(…, bitorder="little")</c>), each row packed on its own. <see cref="Draw(long, long, double)"/> makes one
/// directly in packed form: entry e (row-major index) is kept when H(e) ≥ p·2³², where H is a keyed 32-bit integer hash
/// (two rounds of the "lowbias32" mixer around a 64-bit key), evaluated eight entries at a time with 256-bit vectors.
/// Counter-based, so a draw does not depend on how it is split; the key comes from libtorch's global generator, so
/// <c>manual_seed</c> and checkpointed RNG state reproduce it. (libtorch's bernoulli_ is a serial per-element loop
/// on non-Intel CPUs; this is several times faster and needs no float temporary.)
/// </summary>
internal static class DropoutMask
{
    private static readonly byte[] BitValues = { 1, 2, 4, 8, 16, 32, 64, 128 };

    /// <summary>A fresh (rows, ⌈width/8⌉) packed mask whose entries are kept with probability 1 − <paramref name="p"/>.</summary>
    public static Tensor Draw(long rows, long width, double p)
    {
        long key = randint(0, long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64).item<long>();
        return Draw(rows, width, p, (ulong)key);
    }

    /// <summary>The packed mask for an explicit <paramref name="key"/> (see <see cref="Draw(long, long, double)"/>).</summary>
    public static Tensor Draw(long rows, long width, double p, ulong key)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        if (rows * width > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), $"a dropout draw covers at most 2³² entries, got {rows}×{width}.");
        long bytesPerRow = (width + 7) / 8;
        var packed = new byte[rows * bytesPerRow];
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0)); // p · 2³²
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (long i = 0; i < rows; i++)
            FillRow(packed.AsSpan((int)(i * bytesPerRow), (int)bytesPerRow), (uint)(i * width), width, threshold, k0, k1);
        return tensor(packed, new[] { rows, bytesPerRow }, ScalarType.Byte);
    }

    private static void FillRow(Span<byte> row, uint first, long width, uint threshold, uint k0, uint k1)
    {
        long full = width / 8;
        var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var key0 = Vector256.Create(k0);
        var key1 = Vector256.Create(k1);
        var flip = Vector256.Create(0x80000000u);
        var limit = Vector256.Create(threshold ^ 0x80000000u).AsInt32(); // unsigned ≥ through a signed compare
        for (long j = 0; j < full; j++)
        {
            var z = Mix(Mix(Vector256.Create(first + (uint)(j * 8)) + lanes + key0) ^ key1);
            var keep = Vector256.GreaterThanOrEqual((z ^ flip).AsInt32(), limit);
            row[(int)j] = (byte)Vector256.ExtractMostSignificantBits(keep); // lane k → bit k
        }
        if (full < row.Length)
        {
            int b = 0;
            for (long c = full * 8; c < width; c++)
                if (Mix(Mix(first + (uint)c + k0) ^ k1) >= threshold) b |= 1 << (int)(c - full * 8);
            row[(int)full] = (byte)b;
        }
    }

    // "lowbias32" (C. Wellons' hash prospector): a bijective 32-bit mixer with low bias.
    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352dU;
        x ^= x >> 15;
        x *= 0x846ca68bU;
        return x ^ (x >> 16);
    }

    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= 0x7feb352dU;
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= 0x846ca68bU;
        return x ^ Vector256.ShiftRightLogical(x, 16);
    }

    /// <summary>Unpacks a (rows, ⌈width/8⌉) packed mask into a (rows, width) bool tensor.</summary>
    public static Tensor UnpackRows(Tensor packed, long width)
    {
        using var scope = NewDisposeScope();
        long rows = packed.shape[0];
        var bits = tensor(BitValues, ScalarType.Byte); // (8)
        var flat = packed.unsqueeze(2).bitwise_and(bits).ne(0).view(rows, -1); // (rows, ⌈width/8⌉, 8) -> (rows, 8⌈width/8⌉)
        return flat.narrow(1, 0, width).MoveToOuterDisposeScope(); // (rows, width)
    }
}
