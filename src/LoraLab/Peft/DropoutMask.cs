using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// Counter-based dropout: entry e (the row-major index into the layer's whole (N, in) input) is kept when H(e) ≥ p·2³²,
/// where H is a keyed 32-bit integer hash (two rounds of the "lowbias32" mixer around a 64-bit key). A mask is never
/// stored: <see cref="Apply"/> recomputes it wherever it is needed (forward, and twice in backward) from the key, which
/// is 8 bytes, and writes src ⊙ mask / (1 − p) straight into its destination, 8 or 16 entries per vector step. Because
/// the decision depends only on (key, e), any split into row blocks gives the same mask. The key comes from libtorch's global generator (<see cref="NewKey"/>), so <c>manual_seed</c> and
/// checkpointed RNG state reproduce it. (libtorch's bernoulli_ is a serial per-element loop on non-Intel CPUs, and a
/// stored mask would cost memory and an unpack pass.)
/// </summary>
internal static class DropoutMask
{
    /// <summary>A fresh key from libtorch's global generator.</summary>
    public static ulong NewKey() => (ulong)randint(0, long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64).item<long>();

    /// <summary>
    /// dst[i, j] = src[i, j] / (1 − p) when entry (firstRow + i)·width + j is kept, else 0. <paramref name="src"/> and
    /// <paramref name="dst"/> are contiguous float32 (rows, width) tensors of the same shape, possibly the same tensor.
    /// </summary>
    public static unsafe void Apply(Tensor src, Tensor dst, long firstRow, double p, ulong key)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        if (src.dtype != ScalarType.Float32 || dst.dtype != ScalarType.Float32 || src.dim() != 2 || !src.shape.SequenceEqual(dst.shape))
            throw new ArgumentException($"dropout needs two float32 (rows, width) tensors of one shape, got {src.dtype} {Shape(src)} and {dst.dtype} {Shape(dst)}.");
        long rows = src.shape[0], width = src.shape[1];
        if ((firstRow + rows) * width > (1L << 32))
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"a dropout key covers at most 2³² entries, got {firstRow + rows}×{width}.");
        if (rows == 0 || width == 0) return;
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0)); // p · 2³²
        float scale = (float)(1.0 / (1.0 - p));
        // On the caller's thread: split across .NET threads it ran slower, the cores being held by libtorch's OpenMP
        // workers, which spin for a while after each parallel region.
        fixed (byte* s = src.bytes, d = dst.bytes)
            Rows((float*)s, (float*)d, 0, rows, firstRow, width, threshold, scale, key);
    }

    private static unsafe void Rows(float* src, float* dst, long r0, long r1, long firstRow, long width, uint threshold, float scale, ulong key)
    {
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        for (long i = r0; i < r1; i++)
        {
            uint first = (uint)((firstRow + i) * width); // entry index of the row's first element (< 2³², checked)
            float* s = src + i * width, d = dst + i * width;
            long j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var lanes = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
                for (; j + 16 <= width; j += 16)
                {
                    var z = Mix(Mix(Vector512.Create(first + (uint)j + k0) + lanes) ^ Vector512.Create(k1));
                    var keep = Vector512.GreaterThanOrEqual(z, Vector512.Create(threshold)).AsSingle();
                    Vector512.Store(Vector512.BitwiseAnd(Vector512.Load(s + j) * scale, keep), d + j);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
                for (; j + 8 <= width; j += 8)
                {
                    var z = Mix(Mix(Vector256.Create(first + (uint)j + k0) + lanes) ^ Vector256.Create(k1));
                    var keep = Vector256.GreaterThanOrEqual(z, Vector256.Create(threshold)).AsSingle();
                    Vector256.Store(Vector256.BitwiseAnd(Vector256.Load(s + j) * scale, keep), d + j);
                }
            }
            for (; j < width; j++)
                d[j] = Mix(Mix(first + (uint)j + k0) ^ k1) >= threshold ? s[j] * scale : 0f;
        }
    }

    // "lowbias32" (C. Wellons' hash prospector): a bijective 32-bit mixer with low bias. Written once per width:
    // Vector256/Vector512 expose no shared generic interface to write it against.
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

    private static Vector512<uint> Mix(Vector512<uint> x)
    {
        x ^= Vector512.ShiftRightLogical(x, 16);
        x *= 0x7feb352dU;
        x ^= Vector512.ShiftRightLogical(x, 15);
        x *= 0x846ca68bU;
        return x ^ Vector512.ShiftRightLogical(x, 16);
    }

    private static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";
}
