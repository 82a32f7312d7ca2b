using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LoraLab.Kernels;

/// <summary>
/// The register-blocked inner product that LoraLab's float32 loops share (<see cref="LoraRows"/>, <see cref="AttentionTiles"/>):
/// a 4 × 16 tile of a matrix product held in 8 accumulator vectors, built one step of the reduction at a time from four
/// broadcast scalars and two 8-wide vector loads (8 fused multiply-adds per 6 loads); where 16-wide vectors run at full
/// speed (<c>Vector512.IsHardwareAccelerated</c>: AVX-512 on Zen 4 and 5, Sapphire Rapids), as 4 accumulators and one
/// 16-wide load per step. Both sum each entry in the same order, so results are the same bits either way.
/// <see cref="Outer4x32"/> and <see cref="Outer8x16"/> are two such tiles side by side or stacked, for loops with 32
/// columns or 8 rows to fill. Measured on a 2-core Zen 5 at the medium shape's attention (4 × 12 heads × 512 × 64, forward
/// and backward, medians of 20): 4 × 32 tiles 25.0 ms in float32 and 22.7 in bfloat16, 4 × 16 tiles 30.7 and 28.3.
/// </summary>
internal static unsafe class TileProducts
{
    /// <summary>
    /// output[2i], output[2i + 1] = Σ_t s[i·sStride + t] · v[t·vStride .. + 16) for rows i = 0..3, t over
    /// [0, <paramref name="steps"/>): four rows of scalars against 16-wide rows of vectors. All four rows of s are read,
    /// so a caller with fewer rows pads its buffer (and ignores the extra outputs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Outer4x16(float* s, long sStride, float* v, long vStride, long steps, Vector256<float>* output) =>
        Outer4x16(s, sStride, 1, v, vStride, steps, output);

    /// <summary>
    /// As above with the scalars <paramref name="stepStride"/> apart along t: s[i·sStride + t·stepStride]. With sStride 1
    /// the four rows are four adjacent columns of a row-major matrix, so a product with its transpose needs no copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Outer4x16(float* s, long sStride, long stepStride, float* v, long vStride, long steps, Vector256<float>* output)
    {
        float* s1p = s + sStride, s2p = s1p + sStride, s3p = s2p + sStride;
        if (Vector512.IsHardwareAccelerated)
        {
            // One 16-wide vector per row: half the multiply-adds and vector loads; each lane sums in the same order.
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            for (long t = 0; t < steps; t++)
            {
                var row = Vector512.Load(v + t * vStride);
                long at = t * stepStride;
                c0 = Vector512.FusedMultiplyAdd(Vector512.Create(s[at]), row, c0);
                c1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1p[at]), row, c1);
                c2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2p[at]), row, c2);
                c3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3p[at]), row, c3);
            }
            Put(output, c0, c1, c2, c3);
            return;
        }
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (long t = 0; t < steps; t++)
        {
            var lo = Vector256.Load(v + t * vStride);
            var hi = Vector256.Load(v + t * vStride + 8);
            long at = t * stepStride;
            var x0 = Vector256.Create(s[at]);
            var x1 = Vector256.Create(s1p[at]);
            var x2 = Vector256.Create(s2p[at]);
            var x3 = Vector256.Create(s3p[at]);
            a0 = Vector256.FusedMultiplyAdd(x0, lo, a0);
            b0 = Vector256.FusedMultiplyAdd(x0, hi, b0);
            a1 = Vector256.FusedMultiplyAdd(x1, lo, a1);
            b1 = Vector256.FusedMultiplyAdd(x1, hi, b1);
            a2 = Vector256.FusedMultiplyAdd(x2, lo, a2);
            b2 = Vector256.FusedMultiplyAdd(x2, hi, b2);
            a3 = Vector256.FusedMultiplyAdd(x3, lo, a3);
            b3 = Vector256.FusedMultiplyAdd(x3, hi, b3);
        }
        (output[0], output[1], output[2], output[3], output[4], output[5], output[6], output[7]) = (a0, b0, a1, b1, a2, b2, a3, b3);
    }

    /// <summary>
    /// Two <see cref="Outer4x16"/> tiles stacked: rows 0..3 into output[0..8) and rows 4..7 (scalars from s + 4·sStride on)
    /// into output[8..16), each entry summed in the same order (same bits). Where 16-wide vectors run at full speed its 8
    /// accumulators hide the multiply-add latency that bounds one 4 × 16 tile's 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Outer8x16(float* s, long sStride, long stepStride, float* v, long vStride, long steps, Vector256<float>* output)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Outer4x16(s, sStride, stepStride, v, vStride, steps, output);
            Outer4x16(s + 4 * sStride, sStride, stepStride, v, vStride, steps, output + 8);
            return;
        }
        float* s1p = s + sStride, s2p = s1p + sStride, s3p = s2p + sStride, s4p = s3p + sStride, s5p = s4p + sStride,
            s6p = s5p + sStride, s7p = s6p + sStride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (long t = 0; t < steps; t++)
        {
            var row = Vector512.Load(v + t * vStride);
            long at = t * stepStride;
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(s[at]), row, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1p[at]), row, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2p[at]), row, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3p[at]), row, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(s4p[at]), row, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(s5p[at]), row, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(s6p[at]), row, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(s7p[at]), row, c7);
        }
        Put(output, c0, c1, c2, c3);
        Put(output + 8, c4, c5, c6, c7);
    }

    /// <summary>
    /// Two <see cref="Outer4x16"/> tiles side by side: columns [0, 16) of the four rows into output[0..8) and columns
    /// [16, 32) into output[8..16), each entry summed in the same order (same bits). Where 16-wide vectors run at full speed
    /// its 8 accumulators hide the multiply-add latency that bounds one 4 × 16 tile's 4: 250 against 160 GFLOP/s on one
    /// Zen 5 core with the operands in L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Outer4x32(float* s, long sStride, long stepStride, float* v, long vStride, long steps, Vector256<float>* output)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            Outer4x16(s, sStride, stepStride, v, vStride, steps, output);
            Outer4x16(s, sStride, stepStride, v + 16, vStride, steps, output + 8);
            return;
        }
        float* s1p = s + sStride, s2p = s1p + sStride, s3p = s2p + sStride;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        for (long t = 0; t < steps; t++)
        {
            var left = Vector512.Load(v + t * vStride);
            var right = Vector512.Load(v + t * vStride + 16);
            long at = t * stepStride;
            var x0 = Vector512.Create(s[at]);
            var x1 = Vector512.Create(s1p[at]);
            var x2 = Vector512.Create(s2p[at]);
            var x3 = Vector512.Create(s3p[at]);
            c0 = Vector512.FusedMultiplyAdd(x0, left, c0);
            d0 = Vector512.FusedMultiplyAdd(x0, right, d0);
            c1 = Vector512.FusedMultiplyAdd(x1, left, c1);
            d1 = Vector512.FusedMultiplyAdd(x1, right, d1);
            c2 = Vector512.FusedMultiplyAdd(x2, left, c2);
            d2 = Vector512.FusedMultiplyAdd(x2, right, d2);
            c3 = Vector512.FusedMultiplyAdd(x3, left, c3);
            d3 = Vector512.FusedMultiplyAdd(x3, right, d3);
        }
        Put(output, c0, c1, c2, c3);
        Put(output + 8, d0, d1, d2, d3);
    }

    // Four 16-wide tile rows as the 8-wide halves callers read: row i's lanes 0..7 into output[2i], 8..15 into output[2i + 1].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(Vector256<float>* output, Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3)
    {
        r0.Store((float*)output);
        r1.Store((float*)(output + 2));
        r2.Store((float*)(output + 4));
        r3.Store((float*)(output + 6));
    }
}
