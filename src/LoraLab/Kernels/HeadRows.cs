using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LoraLab.Kernels;

/// <summary>
/// Moves one attention head's rows between a (B, heads, T, D) tensor (<see cref="AttentionTiles.Heads"/>: float32 or
/// bfloat16, any batch / head / row strides) and <see cref="AttentionTiles"/>' float32 scratch: rows as they are, rows
/// transposed (D, ld) for the products that read a head's columns, and back, rounded once to the tensor's dtype
/// (bfloat16: nearest even). bfloat16 widens to float32 exactly. D is a multiple of 16.
/// </summary>
internal static unsafe class HeadRows
{
    /// <summary>dst[i·d + c] = x[b, h, i, c] (float32) for i &lt; t; rows t..rows zeroed.</summary>
    public static void Load(AttentionTiles.Heads x, long b, long h, long t, int d, float* dst, long rows)
    {
        for (long i = 0; i < t; i++) LoadRow(x, b, h, i, d, dst + i * d);
        NativeMemory.Clear(dst + t * d, (nuint)((rows - t) * d * sizeof(float)));
    }

    /// <summary>dst[c] = x[b, h, t, c] (float32), c &lt; d.</summary>
    public static void LoadRow(AttentionTiles.Heads x, long b, long h, long t, int d, float* dst)
    {
        byte* src = x.At(b, h, t);
        if (!x.Bf16) Buffer.MemoryCopy(src, dst, d * sizeof(float), d * sizeof(float));
        else for (int c = 0; c < d; c += 8) Bf16Rows.Load((ushort*)src + c).Store(dst + c);
    }

    /// <summary>dst[c·ld + t] = x[b, h, t, c] for t &lt; T; columns T..ld zeroed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LoadTransposed(AttentionTiles.Heads x, long b, long h, long t, int d, float* dst, long ld)
    {
        float* rows = stackalloc float[8 * d]; // 8 rows, widened
        long i0 = 0;
        for (; i0 + 8 <= t; i0 += 8)
        {
            for (int i = 0; i < 8; i++) LoadRow(x, b, h, i0 + i, d, rows + i * d);
            for (int c = 0; c < d; c += 8) // an 8 × 8 block: rows i0.. by columns c.. → rows c.. by columns i0..
                Transpose8(rows + c, d, dst + c * ld + i0, ld);
        }
        for (long i = i0; i < t; i++)
        {
            LoadRow(x, b, h, i, d, rows);
            for (int c = 0; c < d; c++) dst[c * ld + i] = rows[c];
        }
        for (int c = 0; c < d; c++) NativeMemory.Clear(dst + c * ld + t, (nuint)((ld - t) * sizeof(float)));
    }

    // dst[k·dstStride + i] = src[i·srcStride + k] for i, k < 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(float* src, long srcStride, float* dst, long dstStride)
    {
        if (!Avx.IsSupported)
        {
            for (int i = 0; i < 8; i++)
                for (int k = 0; k < 8; k++) dst[k * dstStride + i] = src[i * srcStride + k];
            return;
        }
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + srcStride), r2 = Avx.LoadVector256(src + 2 * srcStride),
            r3 = Avx.LoadVector256(src + 3 * srcStride), r4 = Avx.LoadVector256(src + 4 * srcStride), r5 = Avx.LoadVector256(src + 5 * srcStride),
            r6 = Avx.LoadVector256(src + 6 * srcStride), r7 = Avx.LoadVector256(src + 7 * srcStride);
        // pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped into place
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1); var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5); var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE); var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE); var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>y[b, h, t, :] = src rows (float32, T × d), rounded to y's dtype.</summary>
    public static void Store(AttentionTiles.Heads y, long b, long h, long t, int d, float* src)
    {
        for (long i = 0; i < t; i++)
            for (int c = 0; c < d; c += 16)
                StoreRow16(y.At(b, h, i) + c * (y.Bf16 ? 2 : 4), y.Bf16, Vector256.Load(src + i * d + c), Vector256.Load(src + i * d + c + 8));
    }

    /// <summary>16 float32 values (lo, hi) to p, rounded to bfloat16 (nearest even) when <paramref name="bf16"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow16(byte* p, bool bf16, Vector256<float> lo, Vector256<float> hi)
    {
        if (bf16)
        {
            Bf16Rows.Store((ushort*)p, lo);
            Bf16Rows.Store((ushort*)p + 8, hi);
        }
        else
        {
            lo.Store((float*)p);
            hi.Store((float*)p + 8);
        }
    }
}
