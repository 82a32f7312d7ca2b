using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Counter-based dropout: entry e (the row-major index into the layer's whole (N, in) input) is kept when H(e) ≥ p·2³²,
/// where H is a keyed 32-bit integer hash (two rounds of the "lowbias32" mixer around a 64-bit key). A mask is never
/// stored: <see cref="Apply"/> recomputes it wherever it is needed (forward, and twice in backward) from the key, which
/// is 8 bytes, and writes src ⊙ mask / (1 − p) straight into its destination, 8 or 16 entries per vector step. Because
/// the decision depends only on (key, e), any split into row blocks gives the same mask. The key comes from libtorch's global generator
/// (<see cref="NewKey"/>), so <c>manual_seed</c> and checkpointed RNG state reproduce it. (libtorch's bernoulli_ is a serial per-element loop on
/// non-Intel CPUs, and a stored mask would cost memory and an unpack pass.) <see cref="Reference"/> computes the same masks on any device.
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
            throw new ArgumentException($"dropout needs two float32 (rows, width) tensors of one shape, got {src.dtype} {Shape(src)} and {dst.dtype} " +
                $"{Shape(dst)}.");
        long rows = src.shape[0], width = src.shape[1];
        if ((firstRow + rows) * width > (1L << 32))
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"a dropout key covers at most 2³² entries, got {firstRow + rows}×{width}.");
        if (rows == 0 || width == 0) return;
        uint threshold = (uint)Threshold(p);
        float scale = (float)(1.0 / (1.0 - p));
        // On the caller's thread: split across .NET threads it ran slower, the cores being held by libtorch's OpenMP
        // workers, which spin for a while after each parallel region.
        fixed (byte* s = src.bytes, d = dst.bytes)
            Rows((float*)s, (float*)d, 0, rows, firstRow, width, threshold, scale, key);
    }

    /// <summary>
    /// The reference of <see cref="Apply"/>: the same keep decisions and scaling computed with plain tensor operations on
    /// the input's device (64-bit integer arithmetic, every product below 2⁶³). Returns dropout(x2) for the (rows, width)
    /// block <paramref name="x2"/> whose first row is row <paramref name="firstRow"/> of the masked input, in x2's dtype.
    /// </summary>
    public static Tensor Reference(Tensor x2, long firstRow, double p, ulong key)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1).");
        if (x2.dim() != 2) throw new ArgumentException($"dropout needs a (rows, width) tensor, got {Shape(x2)}.");
        long rows = x2.shape[0], width = x2.shape[1];
        if ((firstRow + rows) * width > (1L << 32))
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"a dropout key covers at most 2³² entries, got {firstRow + rows}×{width}.");
        using var scope = NewDisposeScope();
        var device = x2.device;
        Tensor Constant(long value) => tensor(value, dtype: ScalarType.Int64, device: device);
        var low32 = Constant(uint.MaxValue);
        var entries = arange(firstRow * width, (firstRow + rows) * width, dtype: ScalarType.Int64, device: device); // (rows·width)
        var z = Mix(entries.add_((long)(uint)key).bitwise_and_(low32), low32, Constant); // (e + k0) mod 2³², mixed
        z = Mix(z.bitwise_xor_(Constant((long)(key >> 32))), low32, Constant);
        var keep = z.ge(Constant(Threshold(p))).view(rows, width); // (rows, width)
        var dropped = x2.to_type(ScalarType.Float32).mul((float)(1.0 / (1.0 - p))).mul_(keep); // as Apply: x·scale, then masked
        return dropped.to_type(x2.dtype).MoveToOuterDisposeScope();
    }

    private static long Threshold(double p) => (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0)); // p · 2³²

    // lowbias32 on int64 tensors holding 32-bit values.
    private static Tensor Mix(Tensor x, Tensor low32, Func<long, Tensor> constant)
    {
        var s16 = constant(16);
        x = x.bitwise_xor(x.bitwise_right_shift(s16));
        x = MulLow32(x, 0x7feb352dL, low32, constant);
        x = x.bitwise_xor(x.bitwise_right_shift(constant(15)));
        x = MulLow32(x, 0x846ca68bL, low32, constant);
        return x.bitwise_xor(x.bitwise_right_shift(s16));
    }

    // (x · c) mod 2³² for x, c < 2³², by 16-bit halves of x so that no product reaches 2⁶³.
    private static Tensor MulLow32(Tensor x, long c, Tensor low32, Func<long, Tensor> constant)
    {
        var s16 = constant(16);
        var low = x.bitwise_and(constant(0xFFFF)).mul(c); // < 2⁴⁸
        var high = x.bitwise_right_shift(s16).mul(c).bitwise_and_(constant(0xFFFF)).bitwise_left_shift_(s16); // < 2³²
        return low.add_(high).bitwise_and_(low32);
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
