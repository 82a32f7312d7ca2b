using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The r-wide half of the LoRA node in one pass over the rows of x, for float32 and ranks up to <see cref="MaxRank"/>:
/// forward u = dropout(x) Aᵀ with the mask hashed (and recorded as bits) in the same pass; backward, from ∂L/∂u = gu,
/// ∂L/∂A += guᵀ d and ∂L/∂x += dropout(gu A), d = dropout(x) replayed from the bits. Rows are split over libtorch's
/// thread team (<see cref="OmpTeam"/>). Done with
/// libtorch operations these are six or seven passes over (N, in) tensors (a dropped copy of x, skinny GEMMs, a masked
/// copy of gu A, an add), each a parallel region or a serial mask loop; at small widths they cost more than the frozen
/// weight's own GEMMs (at larger ones the libtorch path's multi-threaded GEMMs win: see <see cref="MaxRowWork"/>). Same
/// formulas and masks as <see cref="DropoutMask"/> and the libtorch path; sums of r or of rows are taken in another
/// order (float rounding). Tensors are contiguous; x2 (N, in), A (r, in), u and gu (N, r).
/// </summary>
internal static class LoraRows
{
    /// <summary>Above this rank the skinny GEMMs amortise and the libtorch path is kept.</summary>
    public const int MaxRank = 16;

    /// <summary>
    /// The most multiply-adds per row and pass (r × in) the row pass takes on. Its loops stream each row against all of A,
    /// where libtorch's GEMMs block for the caches: measured on 2 cores (bench --train-one, LoRA with dropout 0.05, both on
    /// the thread team, steps alternating in one process), it is ~4% faster than the libtorch path at the demo's width
    /// (r·in = 2 × 128) and ~2% slower at the small shape (16 × 288); at the medium one (16 × 768) its backward alone took
    /// 2.6–4.6 ms against 1.9 ms for the libtorch operations.
    /// </summary>
    public const int MaxRowWork = 2048;

    /// <summary>Whether the row pass serves a node with input rows <paramref name="x2"/> and adapter <paramref name="a"/>.</summary>
    public static bool Serves(Tensor x2, Tensor a) => Vector256.IsHardwareAccelerated && x2.dtype == ScalarType.Float32
        && a.dtype == ScalarType.Float32 && a.shape[0] <= MaxRank && a.shape[0] * x2.shape[1] <= MaxRowWork
        && x2.is_contiguous() && a.is_contiguous();

    /// <summary>u = dropout(x2) Aᵀ with the mask of <paramref name="key"/> (rows from 0), recorded into <paramref name="bits"/> when given.</summary>
    public static unsafe void Forward(Tensor x2, Tensor a, Tensor u, double p, ulong key, Tensor? bits)
    {
        long n = x2.shape[0], width = x2.shape[1];
        if ((n * width) > (1L << 32)) throw new ArgumentOutOfRangeException(nameof(x2), $"a dropout key covers at most 2³² entries, got {n}×{width}.");
        int r = (int)a.shape[0];
        var m = new Mask(p, key);
        long rowBytes = DropoutMask.RowBytes(width);
        fixed (byte* xs = x2.bytes, As = a.bytes, us = u.bytes)
        {
            byte* bs = null;
            if (bits is not null)
                fixed (byte* b = bits.bytes) bs = b; // a libtorch buffer: its address stays valid while the tensor lives
            nint xp = (nint)xs, ap = (nint)As, up = (nint)us, bp = (nint)bs;
            OmpTeam.For(n, OmpTeam.RowGrain(width), (r0, r1) =>
            {
                for (long i = r0; i < r1; i++)
                    ForwardRow((float*)xp + i * width, (float*)ap, (float*)up + i * r, bp == 0 ? null : (byte*)bp + i * rowBytes,
                        (uint)(i * width), width, r, m);
            });
        }
    }

    /// <summary>
    /// From gu (N, r): ∂L/∂A += guᵀ d into <paramref name="gradA"/> (r, in) when given, ∂L/∂x += dropout(gu A) into
    /// <paramref name="gx"/> (N, in) when given; d = dropout(x2) from <paramref name="bits"/>, or x2 itself when null (no dropout).
    /// </summary>
    public static unsafe void Backward(Tensor x2, Tensor a, Tensor gu, Tensor? bits, double p, Tensor? gradA, Tensor? gx)
    {
        long n = x2.shape[0], width = x2.shape[1];
        int r = (int)a.shape[0];
        float scale = bits is null ? 1f : (float)(1.0 / (1.0 - p));
        long rowBytes = DropoutMask.RowBytes(width);
        // ∂L/∂A sums over rows: part 0 adds into gradA, each other part into its own zeroed buffer, added in part order
        // afterwards, so the sum does not depend on which thread finishes first.
        int parts = OmpTeam.Parts(n, OmpTeam.RowGrain(width));
        var partials = new nint[parts];
        try
        {
            fixed (byte* xs = x2.bytes, As = a.bytes, gus = gu.bytes)
            {
                byte* bs = null, ga = null, gxs = null;
                if (bits is not null) fixed (byte* t = bits.bytes) bs = t; // libtorch buffers: addresses stay valid while the tensors live
                if (gradA is not null) fixed (byte* t = gradA.bytes) ga = t;
                if (gx is not null) fixed (byte* t = gx.bytes) gxs = t;
                if (ga != null)
                {
                    partials[0] = (nint)ga;
                    for (int q = 1; q < parts; q++) partials[q] = (nint)NativeMemory.AllocZeroed((nuint)(r * width), sizeof(float));
                }
                nint xp = (nint)xs, ap = (nint)As, gup = (nint)gus, bp = (nint)bs, gxp = (nint)gxs;
                OmpTeam.For(parts, 1, (q0, q1) =>
                {
                    for (long q = q0; q < q1; q++)
                        for (long i = n * q / parts; i < n * (q + 1) / parts; i++)
                            BackwardRow((float*)xp + i * width, (float*)ap, (float*)gup + i * r, bp == 0 ? null : (byte*)bp + i * rowBytes,
                                (float*)partials[q], gxp == 0 ? null : (float*)gxp + i * width, width, r, scale);
                });
                for (int q = 1; q < parts && ga != null; q++)
                    DecodeMath.AddInPlace((float*)ga, (float*)partials[q], (int)(r * width));
            }
        }
        finally
        {
            for (int q = 1; q < parts; q++) NativeMemory.Free((void*)partials[q]);
        }
    }

    private readonly struct Mask(double p, ulong key)
    {
        public readonly uint Threshold = (uint)DropoutMask.Threshold(p);
        public readonly float Scale = (float)(1.0 / (1.0 - p));
        public readonly uint K0 = (uint)key, K1 = (uint)(key >> 32);
    }

    // One row: u[k] = Σ_j d_j A[k, j], d_j = x_j·scale if kept else 0 (DropoutMask's arithmetic); bit j % 8 of byte j / 8 records it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ForwardRow(float* x, float* a, float* u, byte* bits, uint first, long width, int r, Mask m)
    {
        var acc = stackalloc Vector256<float>[r];
        for (int k = 0; k < r; k++) acc[k] = Vector256<float>.Zero;
        var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        long j = 0;
        for (; j + 8 <= width; j += 8)
        {
            var z = DropoutMask.Hash(Vector256.Create(first + (uint)j) + lanes, m.K0, m.K1);
            var keep = Vector256.GreaterThanOrEqual(z, Vector256.Create(m.Threshold));
            if (bits != null) bits[j >> 3] = (byte)keep.ExtractMostSignificantBits();
            var d = Vector256.BitwiseAnd(Vector256.Load(x + j) * m.Scale, keep.AsSingle());
            for (int k = 0; k < r; k++) acc[k] += d * Vector256.Load(a + k * width + j);
        }
        var tail = stackalloc float[r];
        for (int k = 0; k < r; k++) tail[k] = 0f;
        for (; j < width; j++)
        {
            bool kept = DropoutMask.Hash(first + (uint)j, m.K0, m.K1) >= m.Threshold;
            if (bits != null)
            {
                if ((j & 7) == 0) bits[j >> 3] = 0;
                if (kept) bits[j >> 3] |= (byte)(1 << (int)(j & 7));
            }
            float d = kept ? x[j] * m.Scale : 0f;
            for (int k = 0; k < r; k++) tail[k] += d * a[k * width + j];
        }
        for (int k = 0; k < r; k++) u[k] = Vector256.Sum(acc[k]) + tail[k];
    }

    // One row of backward; bits null = no dropout (d = x, gu A added unmasked).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardRow(float* x, float* a, float* gu, byte* bits, float* gradA, float* gx, long width, int r, float scale)
    {
        var g = stackalloc Vector256<float>[r];
        for (int k = 0; k < r; k++) g[k] = Vector256.Create(gu[k]);
        var bit8 = Vector256.Create(1u, 2, 4, 8, 16, 32, 64, 128);
        long j = 0;
        for (; j + 8 <= width; j += 8)
        {
            var d = Vector256.Load(x + j);
            var keep = Vector256<float>.AllBitsSet;
            if (bits != null)
            {
                keep = Vector256.Equals(Vector256.Create((uint)bits[j >> 3]) & bit8, bit8).AsSingle();
                d = Vector256.BitwiseAnd(d * scale, keep);
            }
            var back = Vector256<float>.Zero;
            for (int k = 0; k < r; k++)
            {
                if (gradA != null) Vector256.Store(Vector256.Load(gradA + k * width + j) + g[k] * d, gradA + k * width + j);
                back += g[k] * Vector256.Load(a + k * width + j);
            }
            if (gx != null)
            {
                if (bits != null) back = Vector256.BitwiseAnd(back * scale, keep);
                Vector256.Store(Vector256.Load(gx + j) + back, gx + j);
            }
        }
        for (; j < width; j++)
        {
            bool kept = bits == null || ((bits[j >> 3] >> (int)(j & 7)) & 1) != 0;
            float d = bits == null ? x[j] : kept ? x[j] * scale : 0f;
            float back = 0f;
            for (int k = 0; k < r; k++)
            {
                if (gradA != null) gradA[k * width + j] += gu[k] * d;
                back += gu[k] * a[k * width + j];
            }
            if (gx != null) gx[j] += bits == null ? back : kept ? back * scale : 0f;
        }
    }
}
