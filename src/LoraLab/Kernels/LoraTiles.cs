using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LoraLab.Kernels;

/// <summary>
/// <see cref="LoraRows"/>' three r-wide products where 16-wide vectors run at full speed (<c>Vector512.IsHardwareAccelerated</c>),
/// for a padded rank r' that is a multiple of 4. At rank 16 one vector holds a row of u, so a tile that runs along the
/// ranks needs a broadcast load per multiply-add (<see cref="TileProducts"/>' 8 × 16 tile: 9 loads per 8); these tiles
/// hold 16 accumulators each and need at most one load per two multiply-adds:
/// <list type="bullet">
/// <item>u = d Aᵀ runs along the inputs: 4 rows × 4 ranks of 16-entry partial sums, added across lanes at the end;</item>
/// <item>∂L/∂x += dropout(gu A): 4 rows × 64 inputs, the rank as reduction;</item>
/// <item>∂L/∂A += guᵀ d: 4 ranks × 64 inputs, the block's rows as reduction.</item>
/// </list>
/// Operand layouts are LoraRows': the block scratch d (<see cref="Rows"/> rows of stride ld, masked float32, zero past the
/// rows' width and past the block's count), A and the ∂L/∂A sums as (r', ld) float32 zero-padded past the width, the
/// block's gu as (Rows, r') float32 with zero rows past count. The span arguments are the width rounded up to 16
/// (<see cref="Span"/>), which ld exceeds, so the tiles of d, A and the sums run past the width over zeros without a
/// scalar tail. Sums run in another order than the 8-accumulator loops' (float rounding).
/// </summary>
internal static unsafe class LoraTiles
{
    /// <summary>Whether the tiles serve this machine and padded rank.</summary>
    public static bool Serve(int r) => Vector512.IsHardwareAccelerated && r % 4 == 0;

    /// <summary>The width rounded up to whole 16-entry vectors: what the tiles run over in d, A and the sums.</summary>
    public static long Span(long width) => (width + 15) / 16 * 16;

    /// <summary>Rows per block of the scratch: each pass over the block's gu, A and ∂L/∂A sums serves this many rows of x.</summary>
    public const int Rows = 32;

    // Entries of the width per pass of the forward: the block's 32 rows of d and 4 ranks of A over 256 entries (40 KB) stay
    // in L1 while every tile runs over them.
    private const long Chunk = 256;

    /// <summary>A buffer for <see cref="Forward"/>'s partial sums at padded rank r: 16 vectors per tile of 4 rows × 4 ranks.</summary>
    public static float* Partials(int r) => (float*)NativeMemory.AlignedAlloc((nuint)(Rows * r * 16 * sizeof(float)), 64);

    /// <summary>
    /// u[i, k] = Σ_j d[i, j] A[k, j] for the block's first <paramref name="count"/> rows into u (count, r), width
    /// <see cref="Chunk"/> entries at a time, each tile's 16 partial-sum vectors kept in <paramref name="partial"/> between chunks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(float* d, long ld, float* a, float* u, float* partial, int count, long span, int r)
    {
        int groups = (count + 3) / 4, tilesPerGroup = r / 4; // rows past count are zeros of the scratch
        NativeMemory.Clear(partial, (nuint)(groups * tilesPerGroup * 256 * sizeof(float)));
        for (long j0 = 0; j0 < span; j0 += Chunk)
        {
            long j1 = Math.Min(span, j0 + Chunk);
            for (int k = 0; k < r; k += 4)
            {
                float* a0 = a + k * ld, a1 = a0 + ld, a2 = a1 + ld, a3 = a2 + ld;
                for (int i = 0; i < count; i += 4)
                {
                    float* d0 = d + i * ld, d1 = d0 + ld, d2 = d1 + ld, d3 = d2 + ld;
                    var t = (Vector512<float>*)(partial + (i / 4 * tilesPerGroup + k / 4) * 256);
                    Vector512<float> s00 = t[0], s01 = t[1], s02 = t[2], s03 = t[3], s10 = t[4], s11 = t[5], s12 = t[6], s13 = t[7],
                        s20 = t[8], s21 = t[9], s22 = t[10], s23 = t[11], s30 = t[12], s31 = t[13], s32 = t[14], s33 = t[15];
                    for (long j = j0; j < j1; j += 16)
                    {
                        var w0 = Vector512.Load(a0 + j);
                        var w1 = Vector512.Load(a1 + j);
                        var w2 = Vector512.Load(a2 + j);
                        var w3 = Vector512.Load(a3 + j);
                        var x = Vector512.Load(d0 + j);
                        Fma4(x, w0, w1, w2, w3, ref s00, ref s01, ref s02, ref s03);
                        x = Vector512.Load(d1 + j);
                        Fma4(x, w0, w1, w2, w3, ref s10, ref s11, ref s12, ref s13);
                        x = Vector512.Load(d2 + j);
                        Fma4(x, w0, w1, w2, w3, ref s20, ref s21, ref s22, ref s23);
                        x = Vector512.Load(d3 + j);
                        Fma4(x, w0, w1, w2, w3, ref s30, ref s31, ref s32, ref s33);
                    }
                    (t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]) = (s00, s01, s02, s03, s10, s11, s12, s13);
                    (t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15]) = (s20, s21, s22, s23, s30, s31, s32, s33);
                }
            }
        }
        for (int i = 0; i < count; i += 4)
            for (int k = 0; k < r; k += 4)
            {
                var t = (Vector512<float>*)(partial + (i / 4 * tilesPerGroup + k / 4) * 256); // t[4q + c]: row i + q, rank k + c
                for (int q = 0; q < Math.Min(4, count - i); q++)
                    Across(u + (i + q) * r + k, t[4 * q], t[4 * q + 1], t[4 * q + 2], t[4 * q + 3]);
            }
    }

    // output[c] = the sum of the 16 lanes of v_c, c = 0..3: each vector's two halves added, then the 8 lanes of that.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Across(float* output, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Vector256<float> h0 = v0.GetLower() + v0.GetUpper(), h1 = v1.GetLower() + v1.GetUpper();
        Vector256<float> h2 = v2.GetLower() + v2.GetUpper(), h3 = v3.GetLower() + v3.GetUpper();
        output[0] = Vector256.Sum(h0);
        output[1] = Vector256.Sum(h1);
        output[2] = Vector256.Sum(h2);
        output[3] = Vector256.Sum(h3);
    }

    /// <summary>
    /// ∂L/∂x[i0 + i, j] += dropout(Σ_k g[i, k] A[k, j]) for the block's first <paramref name="count"/> rows and j below
    /// the last multiple of 16 of the width (the caller takes the rest); <paramref name="g"/> is (Rows, r) with zero rows past count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradX(float* g, float* a, long ld, MaskedRows rows, long i0, int count, nint gx, bool bf16, long width, int r)
    {
        long whole = width / 16 * 16, j = 0;
        for (; j + 64 <= whole; j += 64)
        {
            for (int h = 0; h < count; h += 4)
            {
                float* g0 = g + h * r, g1 = g0 + r, g2 = g1 + r, g3 = g2 + r;
                int live = Math.Min(4, count - h);
                long row = i0 + h;
                Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default,
                    s13 = default, s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default,
                    s33 = default;
                float* ak = a + j;
                for (int k = 0; k < r; k++, ak += ld)
                {
                    var w0 = Vector512.Load(ak);
                    var w1 = Vector512.Load(ak + 16);
                    var w2 = Vector512.Load(ak + 32);
                    var w3 = Vector512.Load(ak + 48);
                    var c = Vector512.Create(g0[k]);
                    Fma4(c, w0, w1, w2, w3, ref s00, ref s01, ref s02, ref s03);
                    c = Vector512.Create(g1[k]);
                    Fma4(c, w0, w1, w2, w3, ref s10, ref s11, ref s12, ref s13);
                    c = Vector512.Create(g2[k]);
                    Fma4(c, w0, w1, w2, w3, ref s20, ref s21, ref s22, ref s23);
                    c = Vector512.Create(g3[k]);
                    Fma4(c, w0, w1, w2, w3, ref s30, ref s31, ref s32, ref s33);
                }
                AddRow(rows, row, j, gx, bf16, width, s00, s01, s02, s03);
                if (live > 1) AddRow(rows, row + 1, j, gx, bf16, width, s10, s11, s12, s13);
                if (live > 2) AddRow(rows, row + 2, j, gx, bf16, width, s20, s21, s22, s23);
                if (live > 3) AddRow(rows, row + 3, j, gx, bf16, width, s30, s31, s32, s33);
            }
        }
        for (; j < whole; j += 16)
        {
            for (int h = 0; h < count; h += 4)
            {
                float* g0 = g + h * r, g1 = g0 + r, g2 = g1 + r, g3 = g2 + r;
                int live = Math.Min(4, count - h);
                long row = i0 + h;
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                float* ak = a + j;
                for (int k = 0; k < r; k++, ak += ld)
                {
                    var w = Vector512.Load(ak);
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Create(g0[k]), w, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Create(g1[k]), w, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Create(g2[k]), w, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Create(g3[k]), w, s3);
                }
                Add(rows, row, j, gx, bf16, width, s0);
                if (live > 1) Add(rows, row + 1, j, gx, bf16, width, s1);
                if (live > 2) Add(rows, row + 2, j, gx, bf16, width, s2);
                if (live > 3) Add(rows, row + 3, j, gx, bf16, width, s3);
            }
        }
    }

    // ∂L/∂x[row, j .. j + 64) += dropout of the four 16-entry vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow(MaskedRows rows, long row, long j, nint gx, bool bf16, long width,
        Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        Add(rows, row, j, gx, bf16, width, v0);
        Add(rows, row, j + 16, gx, bf16, width, v1);
        Add(rows, row, j + 32, gx, bf16, width, v2);
        Add(rows, row, j + 48, gx, bf16, width, v3);
    }

    // ∂L/∂x[row, j .. j + 16) += dropout(v), in ∂L/∂x's dtype (bfloat16 sums rounded to nearest even).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(MaskedRows rows, long row, long j, nint gx, bool bf16, long width, Vector512<float> v)
    {
        long at = row * width + j;
        v = rows.Masked16(v, row, j);
        if (bf16) Bf16Rows.Store16((ushort*)gx + at, Bf16Rows.Load16((ushort*)gx + at) + v);
        else Vector512.Store(Vector512.Load((float*)gx + at) + v, (float*)gx + at);
    }

    /// <summary>
    /// ∂L/∂A[k, j] += Σ_i g[i, k] d[i, j] into <paramref name="sums"/> (r, ld) over the block's <see cref="Rows"/>
    /// rows (zero rows add nothing) and j below <paramref name="span"/>: 4 ranks × 64 entries at a time, each rank's row of
    /// sums read and written once per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradA(float* d, long ld, float* g, float* sums, long span, int r)
    {
        for (int k = 0; k < r; k += 4)
        {
            float* p0 = sums + k * ld, p1 = p0 + ld, p2 = p1 + ld, p3 = p2 + ld;
            long j = 0;
            for (; j + 64 <= span; j += 64)
            {
                Vector512<float> s00 = Vector512.Load(p0 + j), s01 = Vector512.Load(p0 + j + 16), s02 = Vector512.Load(p0 + j + 32),
                    s03 = Vector512.Load(p0 + j + 48);
                Vector512<float> s10 = Vector512.Load(p1 + j), s11 = Vector512.Load(p1 + j + 16), s12 = Vector512.Load(p1 + j + 32),
                    s13 = Vector512.Load(p1 + j + 48);
                Vector512<float> s20 = Vector512.Load(p2 + j), s21 = Vector512.Load(p2 + j + 16), s22 = Vector512.Load(p2 + j + 32),
                    s23 = Vector512.Load(p2 + j + 48);
                Vector512<float> s30 = Vector512.Load(p3 + j), s31 = Vector512.Load(p3 + j + 16), s32 = Vector512.Load(p3 + j + 32),
                    s33 = Vector512.Load(p3 + j + 48);
                for (int i = 0; i < Rows; i++)
                {
                    float* x = d + i * ld + j;
                    float* gi = g + i * r + k;
                    var x0 = Vector512.Load(x);
                    var x1 = Vector512.Load(x + 16);
                    var x2 = Vector512.Load(x + 32);
                    var x3 = Vector512.Load(x + 48);
                    var c = Vector512.Create(gi[0]);
                    Fma4(c, x0, x1, x2, x3, ref s00, ref s01, ref s02, ref s03);
                    c = Vector512.Create(gi[1]);
                    Fma4(c, x0, x1, x2, x3, ref s10, ref s11, ref s12, ref s13);
                    c = Vector512.Create(gi[2]);
                    Fma4(c, x0, x1, x2, x3, ref s20, ref s21, ref s22, ref s23);
                    c = Vector512.Create(gi[3]);
                    Fma4(c, x0, x1, x2, x3, ref s30, ref s31, ref s32, ref s33);
                }
                s00.Store(p0 + j); s01.Store(p0 + j + 16); s02.Store(p0 + j + 32); s03.Store(p0 + j + 48);
                s10.Store(p1 + j); s11.Store(p1 + j + 16); s12.Store(p1 + j + 32); s13.Store(p1 + j + 48);
                s20.Store(p2 + j); s21.Store(p2 + j + 16); s22.Store(p2 + j + 32); s23.Store(p2 + j + 48);
                s30.Store(p3 + j); s31.Store(p3 + j + 16); s32.Store(p3 + j + 32); s33.Store(p3 + j + 48);
            }
            for (; j < span; j += 16)
            {
                Vector512<float> s0 = Vector512.Load(p0 + j), s1 = Vector512.Load(p1 + j), s2 = Vector512.Load(p2 + j), s3 = Vector512.Load(p3 + j);
                for (int i = 0; i < Rows; i++)
                {
                    var x = Vector512.Load(d + i * ld + j);
                    float* gi = g + i * r + k;
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Create(gi[0]), x, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Create(gi[1]), x, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Create(gi[2]), x, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Create(gi[3]), x, s3);
                }
                s0.Store(p0 + j); s1.Store(p1 + j); s2.Store(p2 + j); s3.Store(p3 + j);
            }
        }
    }

    // s_n += c · v_n for n = 0..3: one step of a tile's row (or column) of four accumulators. Inlined, so the accumulators
    // stay in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fma4(Vector512<float> c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3,
        ref Vector512<float> s0, ref Vector512<float> s1, ref Vector512<float> s2, ref Vector512<float> s3)
    {
        s0 = Vector512.FusedMultiplyAdd(c, v0, s0);
        s1 = Vector512.FusedMultiplyAdd(c, v1, s1);
        s2 = Vector512.FusedMultiplyAdd(c, v2, s2);
        s3 = Vector512.FusedMultiplyAdd(c, v3, s3);
    }
}
