using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The r-wide half of the LoRA node under dropout, for float32 and bfloat16 inputs and ranks up to <see cref="MaxRank"/>:
/// forward u = dropout(x) Aᵀ; backward, from ∂L/∂u = gu, ∂L/∂A = guᵀ d and ∂L/∂x += dropout(gu A), where d = dropout(x)
/// (x itself when no mask is given). Rows go in blocks: each block's rows are widened to float32 and masked once into a
/// small scratch (forward hashes the mask and records its bits, backward replays them), and the three products run over
/// that scratch, the rank padded with zeros to a multiple of 8: where 16-wide vectors run at full speed in
/// <see cref="LoraTiles"/>' 16-accumulator tiles over blocks of <see cref="LoraTiles.Rows"/> rows, otherwise in this class's
/// loops of 8 accumulator vectors over blocks of <see cref="Block"/>. Measured on a 2-core Zen 5 (N = 2048, rank 16,
/// float32, medians of 190): the tiles took forward 0.31 / 1.10 ms and backward 0.36 / 1.5–2.2 ms at in = 768 / 2048,
/// against 0.31 / 1.13 and 0.76 / 2.67 for the 8-accumulator loops; the forward's remaining time is mostly the mask's hash.
/// With libtorch operations the same work is a dropped copy of x per row block, skinny GEMMs, a masked
/// copy of gu A and an add: six or seven passes over (N, in) tensors and their temporaries. Rows are split over libtorch's
/// thread team (<see cref="OmpTeam"/>); ∂L/∂A is summed per part and the parts added in order, so results do not depend on
/// thread timing. Sums are float32, in another order than libtorch's GEMMs (float rounding); bfloat16 results are rounded
/// once, at the end, to nearest even. Same masks as <see cref="DropoutMask"/>. Shapes: x2 (N, in), A (r, in), u and gu
/// (N, r), all contiguous.
/// </summary>
internal static unsafe class LoraRows
{
    /// <summary>Rows per block of the 8-accumulator loops, which AVX2's 16 vector registers hold with room to spare.</summary>
    internal const int Block = 8;

    /// <summary>
    /// The largest rank served. Measured on 2 cores with the 8-accumulator loops (N = 2048, in = 768 and 2048, float32): at
    /// r = 16 they matched or beat libtorch's GEMMs plus the mask passes, and a LoRA training step at the medium shape ran
    /// 6% faster with 350 MB less peak memory; at r = 32 and 64 libtorch's skinny GEMMs, which block for the caches, were as
    /// fast or faster. (<see cref="LoraTiles"/> have not been measured above rank 16.)
    /// </summary>
    public const int MaxRank = 16;

    /// <summary>Whether these loops serve a node with input rows <paramref name="x2"/> and adapter <paramref name="a"/>.</summary>
    public static bool Serves(Tensor x2, Tensor a) => Vector256.IsHardwareAccelerated
        && (x2.dtype == ScalarType.Float32 || x2.dtype == ScalarType.BFloat16) && a.dtype == x2.dtype
        && a.shape[0] <= MaxRank && x2.is_contiguous() && a.is_contiguous();

    /// <summary>
    /// u = dropout(x2) Aᵀ (u in x2's dtype) with the mask of <paramref name="key"/> (rows from 0), recorded into
    /// <paramref name="bits"/> when given.
    /// </summary>
    public static void Forward(Tensor x2, Tensor a, Tensor u, double p, ulong key, Tensor? bits)
    {
        long n = x2.shape[0], width = x2.shape[1];
        if (n * width > (1L << 32)) throw new ArgumentOutOfRangeException(nameof(x2), $"a dropout key covers at most 2³² entries, got {n}×{width}.");
        int r = Padded(a.shape[0]);
        using var scope = NewDisposeScope();
        long ld = Stride(width);
        bool tiles = LoraTiles.Serve(r);
        // tiles: A as (r', ld) rows; otherwise Aᵀ as (in, r'), one row of r weights (and zeros up to r') per input entry
        var at = tiles ? PaddedRows(a, r, ld) : zeros(width, r, dtype: ScalarType.Float32);
        if (!tiles) at.narrow(1, 0, a.shape[0]).copy_(a.t());
        var u32 = empty(n, r, dtype: ScalarType.Float32); // (N, r')
        var rows = new MaskedRows(x2, bits, p, key);
        fixed (byte* ats = at.bytes, us = u32.bytes)
        {
            nint atp = (nint)ats, up = (nint)us;
            int block = tiles ? LoraTiles.Rows : Block;
            long span = LoraTiles.Span(width);
            OmpTeam.For(n, OmpTeam.RowGrain(width), (r0, r1) =>
            {
                float* d = Scratch(block, ld);
                float* partial = tiles ? LoraTiles.Partials(r) : null;
                try
                {
                    for (long i0 = r0; i0 < r1; i0 += block)
                    {
                        int count = (int)Math.Min(block, r1 - i0);
                        rows.Fill(d, ld, i0, count, block, hash: true);
                        if (tiles) LoraTiles.Forward(d, ld, (float*)atp, (float*)up + i0 * r, partial, count, span, r);
                        else ForwardBlock(d, ld, (float*)atp, (float*)up + i0 * r, count, width, r);
                    }
                }
                finally
                {
                    NativeMemory.AlignedFree(d);
                    NativeMemory.AlignedFree(partial);
                }
            });
        }
        u.copy_(u32.narrow(1, 0, a.shape[0]));
    }

    /// <summary>
    /// From gu (N, r): ∂L/∂A = guᵀ d into <paramref name="gradA"/> (r, in; overwritten) when given, ∂L/∂x += dropout(gu A)
    /// into <paramref name="gx"/> (N, in, x2's dtype) when given; d = dropout(x2) from <paramref name="bits"/>, or x2 itself when null.
    /// </summary>
    public static void Backward(Tensor x2, Tensor a, Tensor gu, Tensor? bits, double p, Tensor? gradA, Tensor? gx)
    {
        long n = x2.shape[0], width = x2.shape[1];
        int r = Padded(a.shape[0]);
        using var scope = NewDisposeScope();
        long ld = Stride(width);
        var a32 = PaddedRows(a, r, ld);
        var g32 = zeros(n, r, dtype: ScalarType.Float32); // (N, r'): gu in float32, zero-padded
        g32.narrow(1, 0, a.shape[0]).copy_(gu);
        var rows = new MaskedRows(x2, bits, p, null);
        if (gx is not null && (gx.dtype != x2.dtype || !gx.is_contiguous()))
            throw new ArgumentException($"∂L/∂x must be contiguous {x2.dtype}, got {gx.dtype}.", nameof(gx));
        // ∂L/∂A sums over rows: each part into its own float32 buffer, added in part order afterwards.
        int parts = OmpTeam.Parts(n, OmpTeam.RowGrain(width));
        var sums = gradA is null ? null : Enumerable.Range(0, parts).Select(_ => zeros(r, ld, dtype: ScalarType.Float32)).ToArray(); // (r', ld) each
        var sumPointers = new nint[parts];
        for (int q = 0; q < parts && sums is not null; q++)
            fixed (byte* s = sums[q].bytes) sumPointers[q] = (nint)s; // libtorch buffers: addresses stay valid while the tensors live
        fixed (byte* As = a32.bytes, gs = g32.bytes)
        {
            byte* gxs = null;
            if (gx is not null) fixed (byte* t = gx.bytes) gxs = t;
            nint ap = (nint)As, gp = (nint)gs, gxp = (nint)gxs;
            bool bf16 = x2.dtype == ScalarType.BFloat16, tiles = LoraTiles.Serve(r);
            int block = tiles ? LoraTiles.Rows : Block;
            long span = LoraTiles.Span(width);
            OmpTeam.For(parts, 1, (q0, q1) =>
            {
                float* d = Scratch(block, ld);
                float* g = (float*)NativeMemory.AllocZeroed((nuint)(block * r), sizeof(float));
                try
                {
                    for (long q = q0; q < q1; q++)
                    {
                        long end = n * (q + 1) / parts;
                        for (long i0 = n * q / parts; i0 < end; i0 += block)
                        {
                            int count = (int)Math.Min(block, end - i0);
                            Buffer.MemoryCopy((float*)gp + i0 * r, g, block * r * sizeof(float), count * r * sizeof(float));
                            if (count < block) new Span<float>(g + count * r, (block - count) * r).Clear();
                            if (sumPointers[q] != 0)
                            {
                                rows.Fill(d, ld, i0, count, block, hash: false);
                                if (tiles) LoraTiles.GradA(d, ld, g, (float*)sumPointers[q], span, r);
                                else GradABlock(d, g, (float*)sumPointers[q], width, ld, r);
                            }
                            if (gxp != 0)
                            {
                                if (tiles) LoraTiles.GradX(g, (float*)ap, ld, rows, i0, count, gxp, bf16, width, r);
                                else GradXBlock(g, (float*)ap, rows, i0, count, gxp, bf16, width, ld, r);
                                GradXTail(g, (float*)ap, rows, i0, count, gxp, bf16, width, ld, r);
                            }
                        }
                    }
                }
                finally
                {
                    NativeMemory.AlignedFree(d);
                    NativeMemory.Free(g);
                }
            });
        }
        if (gradA is null || sums is null) return;
        for (int q = 1; q < parts; q++) sums[0].add_(sums[q], Scalars.One);
        gradA.copy_(sums[0].narrow(0, 0, a.shape[0]).narrow(1, 0, width));
    }

    // A (r, in) as float32 (r', ld) rows, zero past its rank and width: the layout the loops read A in.
    private static Tensor PaddedRows(Tensor a, int r, long ld)
    {
        var rows = zeros(r, ld, dtype: ScalarType.Float32);
        rows.narrow(0, 0, a.shape[0]).narrow(1, 0, a.shape[1]).copy_(a);
        return rows;
    }

    // The rank the loops run at: r rounded up to a multiple of 8 (a vector of ranks), the extra ranks zero in A and gu.
    private static int Padded(long r) => (int)((r + 7) / 8 * 8);

    // The row stride of the loops' own float32 buffers (scratch, ∂L/∂A sums, A): whole cache lines plus one, so the rows a
    // loop reads together fall in different L1 sets (at a power-of-two width such as 2048 they would all share one set).
    private static long Stride(long width) => (width + 15) / 16 * 16 + 16;

    // A zeroed float32 scratch of block rows × ld, 64-byte aligned.
    private static float* Scratch(int block, long ld)
    {
        nuint bytes = (nuint)(block * ld * sizeof(float));
        var d = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(d, bytes);
        return d;
    }

    // u[i, c..) = Σ_j d[i, j] Aᵀ[j, c..) for the block's rows (rows past count are zeros in d and are not written): 16 ranks
    // × the block's 8 rows at a time, and a last 8 ranks × 8 rows when r mod 16 = 8.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBlock(float* d, long ld, float* at, float* u, int count, long width, int r)
    {
        var sums = stackalloc Vector256<float>[2 * Block];
        int c = 0;
        for (; c + 16 <= r; c += 16)
        {
            TileProducts.Outer8x16(d, ld, 1, at + c, r, width, sums); // u[0..8, c..c+16)
            for (int i = 0; i < count; i++)
            {
                sums[2 * i].Store(u + i * r + c);
                sums[2 * i + 1].Store(u + i * r + c + 8);
            }
        }
        if (c == r) return;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        float* col = at + c;
        for (long j = 0; j < width; j++)
        {
            var w = Vector256.Load(col + j * r);
            s0 = Vector256.FusedMultiplyAdd(Vector256.Create(d[j]), w, s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Create(d[ld + j]), w, s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Create(d[2 * ld + j]), w, s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Create(d[3 * ld + j]), w, s3);
            s4 = Vector256.FusedMultiplyAdd(Vector256.Create(d[4 * ld + j]), w, s4);
            s5 = Vector256.FusedMultiplyAdd(Vector256.Create(d[5 * ld + j]), w, s5);
            s6 = Vector256.FusedMultiplyAdd(Vector256.Create(d[6 * ld + j]), w, s6);
            s7 = Vector256.FusedMultiplyAdd(Vector256.Create(d[7 * ld + j]), w, s7);
        }
        (sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7]) = (s0, s1, s2, s3, s4, s5, s6, s7);
        for (int i = 0; i < count; i++) sums[i].Store(u + i * r + c);
    }

    // ∂L/∂A[k, j] += Σ_i g[i, k] d[i, j] over the block's 8 rows (zero rows add nothing), two ranks × 32 entries at a time,
    // each pair of ranks streaming along its rows of sums. (Taking all ranks of one 32-entry column before the next, to keep
    // that column of d in L1, ran 1.7× slower at width 2048: the sums' rows were then read across rather than along.)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradABlock(float* d, float* g, float* sum, long width, long ld, int r)
    {
        long last = width / 32 * 32; // entries past it go one at a time
        for (int k = 0; k < r; k += 2)
        {
            float* p0 = sum + k * ld, p1 = p0 + ld;
            for (long j = 0; j < last; j += 32)
            {
                Vector256<float> a0 = Vector256.Load(p0 + j), a1 = Vector256.Load(p0 + j + 8);
                Vector256<float> a2 = Vector256.Load(p0 + j + 16), a3 = Vector256.Load(p0 + j + 24);
                Vector256<float> b0 = Vector256.Load(p1 + j), b1 = Vector256.Load(p1 + j + 8);
                Vector256<float> b2 = Vector256.Load(p1 + j + 16), b3 = Vector256.Load(p1 + j + 24);
                for (int i = 0; i < Block; i++)
                {
                    float* row = d + i * ld + j;
                    var gk = Vector256.Create(g[i * r + k]);
                    var gl = Vector256.Create(g[i * r + k + 1]);
                    var x0 = Vector256.Load(row);
                    var x1 = Vector256.Load(row + 8);
                    var x2 = Vector256.Load(row + 16);
                    var x3 = Vector256.Load(row + 24);
                    a0 = Vector256.FusedMultiplyAdd(gk, x0, a0);
                    a1 = Vector256.FusedMultiplyAdd(gk, x1, a1);
                    a2 = Vector256.FusedMultiplyAdd(gk, x2, a2);
                    a3 = Vector256.FusedMultiplyAdd(gk, x3, a3);
                    b0 = Vector256.FusedMultiplyAdd(gl, x0, b0);
                    b1 = Vector256.FusedMultiplyAdd(gl, x1, b1);
                    b2 = Vector256.FusedMultiplyAdd(gl, x2, b2);
                    b3 = Vector256.FusedMultiplyAdd(gl, x3, b3);
                }
                a0.Store(p0 + j); a1.Store(p0 + j + 8); a2.Store(p0 + j + 16); a3.Store(p0 + j + 24);
                b0.Store(p1 + j); b1.Store(p1 + j + 8); b2.Store(p1 + j + 16); b3.Store(p1 + j + 24);
            }
            for (long j = last; j < width; j++)
            {
                float s0 = p0[j], s1 = p1[j];
                for (int i = 0; i < Block; i++)
                {
                    s0 += g[i * r + k] * d[i * ld + j];
                    s1 += g[i * r + k + 1] * d[i * ld + j];
                }
                (p0[j], p1[j]) = (s0, s1);
            }
        }
    }

    // ∂L/∂x[i, j] += mask · Σ_k g[i, k] A[k, j] for the block's first count rows, 4 rows × 16 entries (a float32 cache line
    // of each row) at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradXBlock(float* g, float* a, MaskedRows rows, long i0, int count, nint gx, bool bf16, long width, long ld, int r)
    {
        var back = stackalloc Vector256<float>[8];
        long last = width / 16 * 16; // entries past it go one at a time
        for (int h = 0; h < count; h += 4)
        {
            float* gh = g + h * r;
            for (long j = 0; j < last; j += 16)
            {
                TileProducts.Outer4x16(gh, r, a + j, ld, r, back); // (gu A)[h..h+4, j..j+16)
                for (int i = 0; i < Math.Min(4, count - h); i++)
                {
                    long row = i0 + h + i, at = row * width + j;
                    var lo = rows.Masked(back[2 * i], row, j);
                    var hi = rows.Masked(back[2 * i + 1], row, j + 8);
                    if (bf16)
                    {
                        Bf16Rows.Store((ushort*)gx + at, Bf16Rows.Load((ushort*)gx + at) + lo);
                        Bf16Rows.Store((ushort*)gx + at + 8, Bf16Rows.Load((ushort*)gx + at + 8) + hi);
                    }
                    else
                    {
                        Vector256.Store(Vector256.Load((float*)gx + at) + lo, (float*)gx + at);
                        Vector256.Store(Vector256.Load((float*)gx + at + 8) + hi, (float*)gx + at + 8);
                    }
                }
            }
        }
    }

    // ∂L/∂x's entries past the width's last multiple of 16, one at a time.
    private static void GradXTail(float* g, float* a, MaskedRows rows, long i0, int count, nint gx, bool bf16, long width, long ld, int r)
    {
        for (long j = width / 16 * 16; j < width; j++)
        {
            for (int i = 0; i < count; i++)
            {
                float s = 0f;
                for (int k = 0; k < r; k++) s += g[i * r + k] * a[k * ld + j];
                long at = (i0 + i) * width + j;
                s = rows.Masked(s, i0 + i, j);
                if (bf16) ((ushort*)gx)[at] = Bf16Rows.Round(Bf16Rows.Widen(((ushort*)gx)[at]) + s);
                else ((float*)gx)[at] += s;
            }
        }
    }
}
