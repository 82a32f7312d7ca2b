using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LoraLab.Kernels;

/// <summary>
/// Causal softmax attention and its backward in float32 tiles, one head at a time: o_i = Σ_{j ≤ i} P_ij v_j with
/// P_ij = exp(s·q_i·k_j − L_i) and L_i = log Σ_{j ≤ i} exp(s·q_i·k_j) (the row's log-sum-exp, which forward records for
/// backward). Forward takes a block of <see cref="Block"/> query rows against the keys up to the block's last row (a
/// block's scores fit in L2), then multiplies the normalised probabilities into V. Backward takes each query block
/// against the key blocks it sees, recomputes P from the recorded L (nothing of size T² is kept) and accumulates, with
/// δ_i = Σ_d dO_id·O_id: dS = s · P ⊙ (dO Vᵀ − δ), dQ += dS K, dV += Pᵀ dO, dK += dSᵀ Q, reading Pᵀ and dSᵀ as columns
/// of P and dS (only K and V are transposed, once per key/value head). Score tiles whose keys all lie past their rows'
/// queries are skipped. Every product is a <see cref="TileProducts.Outer4x32"/> tile (<see cref="TileProducts.Outer4x16"/>
/// for a last 16 columns) over a head copied into float32 scratch (bfloat16 widened exactly), so sums are float32
/// throughout and outputs are rounded once, at the end, to their dtype (bfloat16: nearest even). Query heads share
/// key/value heads in groups (grouped-query attention) without copies: backward works a key/value head at a time and sums
/// its group's dK and dV. Heads run in parallel over libtorch's thread team (<see cref="OmpTeam"/>), each on its own
/// scratch. Head dim D is a multiple of 16.
/// </summary>
internal static unsafe class AttentionTiles
{
    /// <summary>Query and key rows per block.</summary>
    public const int Block = 64;

    /// <summary>
    /// A (B, heads, T, D) tensor's memory as the loops read and write it: its first element's address, element strides of
    /// batch, head and position (stride 1 along D), and whether entries are bfloat16 (else float32).
    /// </summary>
    internal readonly record struct Heads(nint Base, long BatchStride, long HeadStride, long RowStride, bool Bf16)
    {
        public byte* At(long b, long h, long t) => (byte*)Base + (b * BatchStride + h * HeadStride + t * RowStride) * (Bf16 ? 2 : 4);

        /// <summary>A CPU tensor's heads: x (B, heads, T, D), float32 or bfloat16, stride 1 along D; valid while x lives.</summary>
        public static Heads Of(TorchSharp.torch.Tensor x) =>
            new(TensorAddress.Of(x), x.stride(0), x.stride(1), x.stride(2), x.dtype == TorchSharp.torch.ScalarType.BFloat16);
    }

    /// <summary>Sizes of one call: batch, query heads, key/value heads, positions, head dim, and the score scale s.</summary>
    internal readonly record struct Shape(long Batch, long Heads, long KvHeads, long T, int D, float Scale)
    {
        public long Groups => Heads / KvHeads;
    }

    /// <summary>o = attention(q, k, v); L into <paramref name="lse"/> ((B, heads, T) float32) when not null.</summary>
    public static void Forward(Heads q, Heads k, Heads v, Heads o, float* lse, Shape shape)
    {
        long T = shape.T, ldT = Stride(T), rows = Pad4(T);
        nint lsePointer = (nint)lse;
        OmpTeam.For(shape.Batch * shape.Heads, 1, (w0, w1) =>
        {
            var scratch = new ForwardScratch(Alloc(rows * shape.D), Alloc(shape.D * ldT), Alloc(rows * shape.D), Alloc(Block * ldT));
            try
            {
                long loaded = -1; // the (b, kv head) whose K and V the scratch holds
                for (long w = w0; w < w1; w++) ForwardHead(q, k, v, o, (float*)lsePointer, shape, w, scratch, ref loaded);
            }
            finally
            {
                Free(scratch.Q); Free(scratch.KT); Free(scratch.V); Free(scratch.Scores);
            }
        });
    }

    // One thread's forward buffers: Q (rows, D), Kᵀ (D, ldT), V (rows, D) and a query block's scores (Block, ldT).
    private readonly struct ForwardScratch(float* q, float* kt, float* v, float* scores)
    {
        public readonly float* Q = q, KT = kt, V = v, Scores = scores;
    }

    // Head w = b·heads + h: its output rows and, when lse is not null, their log-sum-exp.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardHead(Heads q, Heads k, Heads v, Heads o, float* lse, Shape shape, long w, ForwardScratch scratch, ref long loaded)
    {
        long T = shape.T, ldT = Stride(T), rows = Pad4(T);
        int D = shape.D;
        float* qs = scratch.Q, kt = scratch.KT, vs = scratch.V, scores = scratch.Scores;
        float* inverse = stackalloc float[Block];
        var acc = stackalloc Vector256<float>[16];
        long b = w / shape.Heads, h = w % shape.Heads, g = h / shape.Groups;
        if (loaded != b * shape.KvHeads + g)
        {
            HeadRows.LoadTransposed(k, b, g, T, D, kt, ldT);
            HeadRows.Load(v, b, g, T, D, vs, rows);
            loaded = b * shape.KvHeads + g;
        }
        HeadRows.Load(q, b, h, T, D, qs, rows);
        float* rowLse = lse is null ? null : lse + (b * shape.Heads + h) * T;
        for (long i0 = 0; i0 < T; i0 += Block)
        {
            int nq = (int)Math.Min(Block, T - i0);
            long keys = i0 + nq, keysPadded = (keys + 15) / 16 * 16;
            for (long c = 0; c < keysPadded; c += 32) // scores (nq, keys) = Q_i Kᵀ, a panel of Kᵀ against every row group
            {
                int width = (int)Math.Min(32, keysPadded - c);
                for (int r = 0; r < nq; r += 4)
                {
                    if (c > i0 + r + 3) continue; // keys past every row of the group: masked, and the softmax never reads them
                    Tile(qs + (i0 + r) * D, D, 1, kt + c, ldT, D, width, acc);
                    for (int half = 0; half < width / 16; half++)
                        for (int i = 0; i < 4; i++)
                        {
                            acc[8 * half + 2 * i].Store(scores + (r + i) * ldT + c + 16 * half);
                            acc[8 * half + 2 * i + 1].Store(scores + (r + i) * ldT + c + 16 * half + 8);
                        }
                }
            }
            for (int i = 0; i < nq; i++)
            {
                float l = SoftmaxRow(scores + i * ldT, i0 + i + 1, keysPadded, shape.Scale, out float max);
                inverse[i] = 1f / l;
                if (rowLse is not null) rowLse[i0 + i] = max + MathF.Log(l);
            }
            for (int c = 0; c < D; c += 32) // o rows = P V over the keys the group's last row sees
            {
                int width = Math.Min(32, D - c);
                for (int r = 0; r < nq; r += 4)
                {
                    Tile(scores + r * ldT, ldT, 1, vs + c, D, Math.Min(keys, i0 + r + 4), width, acc);
                    for (int half = 0; half < width / 16; half++)
                        for (int i = 0; i < Math.Min(4, nq - r); i++)
                        {
                            var s = Vector256.Create(inverse[r + i]);
                            HeadRows.StoreRow16(o.At(b, h, i0 + r + i) + (c + 16 * half) * (o.Bf16 ? 2 : 4), o.Bf16,
                                acc[8 * half + 2 * i] * s, acc[8 * half + 2 * i + 1] * s);
                        }
                }
            }
        }
    }

    /// <summary>
    /// dq, dk and dv (overwritten) from the forward's inputs, its output o, its recorded <paramref name="lse"/> and the
    /// output gradient <paramref name="dO"/>.
    /// </summary>
    public static void Backward(Heads q, Heads k, Heads v, Heads o, Heads dO, float* lse, Heads dq, Heads dk, Heads dv, Shape shape)
    {
        long T = shape.T, ldT = Stride(T), rows = Pad4(T);
        int D = shape.D;
        nint lsePointer = (nint)lse;
        OmpTeam.For(shape.Batch * shape.KvHeads, 1, (w0, w1) =>
        {
            var x = new BackwardScratch(Alloc(rows * D), Alloc(D * ldT), Alloc(D * ldT), Alloc(rows * D), Alloc(rows * D), Alloc(rows * D),
                Alloc(rows * D), Alloc(rows * D), Alloc(ldT), Alloc(ldT), Alloc(D), Alloc(Block * BlockStride), Alloc(Block * BlockStride));
            try
            {
                for (long w = w0; w < w1; w++) BackwardKvHead(q, k, v, o, dO, (float*)lsePointer, dq, dk, dv, shape, w, x);
            }
            finally
            {
                Free(x.K); Free(x.KT); Free(x.VT); Free(x.DK); Free(x.DV); Free(x.Q); Free(x.DO); Free(x.DQ);
                Free(x.L); Free(x.Delta); Free(x.ORow); Free(x.P); Free(x.DS);
            }
        });
    }

    // Row stride of the block scratch: rows a loop reads together fall in different L1 sets.
    private const int BlockStride = Block + 16;

    // One thread's backward buffers: K, dK, dV, Q, dO, dQ (rows, D); Kᵀ, Vᵀ (D, ldT); L and δ (ldT); a row of O (D);
    // a block pair's P and dS (Block query rows, BlockStride).
    private readonly struct BackwardScratch(float* k, float* kt, float* vt, float* dk, float* dv, float* q, float* dO, float* dq,
        float* l, float* delta, float* oRow, float* p, float* ds)
    {
        public readonly float* K = k, KT = kt, VT = vt, DK = dk, DV = dv, Q = q, DO = dO, DQ = dq;
        public readonly float* L = l, Delta = delta, ORow = oRow, P = p, DS = ds;
    }

    // Key/value head w = b·kv heads + g: dk and dv, and dq for each query head of its group.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardKvHead(Heads q, Heads k, Heads v, Heads o, Heads dO, float* lse, Heads dq, Heads dk, Heads dv, Shape shape, long w,
        BackwardScratch x)
    {
        long T = shape.T, ldT = Stride(T), rows = Pad4(T);
        int D = shape.D;
        long b = w / shape.KvHeads, g = w % shape.KvHeads;
        HeadRows.Load(k, b, g, T, D, x.K, rows);
        HeadRows.LoadTransposed(k, b, g, T, D, x.KT, ldT);
        HeadRows.LoadTransposed(v, b, g, T, D, x.VT, ldT);
        NativeMemory.Clear(x.DK, (nuint)(rows * D * sizeof(float)));
        NativeMemory.Clear(x.DV, (nuint)(rows * D * sizeof(float)));
        for (long h = g * shape.Groups; h < (g + 1) * shape.Groups; h++)
        {
            HeadRows.Load(q, b, h, T, D, x.Q, rows);
            HeadRows.Load(dO, b, h, T, D, x.DO, rows);
            float* headLse = lse + (b * shape.Heads + h) * T;
            for (long t = 0; t < T; t++)
            {
                x.L[t] = headLse[t];
                HeadRows.LoadRow(o, b, h, t, D, x.ORow);
                x.Delta[t] = Dot(x.DO + t * D, x.ORow, D);
            }
            NativeMemory.Clear(x.DQ, (nuint)(rows * D * sizeof(float)));
            for (long i0 = 0; i0 < T; i0 += Block)
                for (long j0 = 0; j0 <= i0; j0 += Block) BlockPair(x, shape, i0, j0);
            HeadRows.Store(dq, b, h, T, D, x.DQ);
        }
        HeadRows.Store(dk, b, g, T, D, x.DK);
        HeadRows.Store(dv, b, g, T, D, x.DV);
    }

    // Query block i0 against key block j0 ≤ i0 of one query head.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockPair(BackwardScratch x, Shape shape, long i0, long j0)
    {
        long T = shape.T, ldT = Stride(T);
        int D = shape.D, ldB = BlockStride;
        int nq = (int)Math.Min(Block, T - i0), nk = (int)Math.Min(Block, T - j0), nkPadded = (nk + 15) / 16 * 16;
        var s = stackalloc Vector256<float>[16];
        var dp = stackalloc Vector256<float>[16];
        var scale = Vector256.Create(shape.Scale);
        for (int c = 0; c < nkPadded; c += 32) // P and dS: a panel of Kᵀ and Vᵀ against every row group of the query block
        {
            int width = Math.Min(32, nkPadded - c);
            for (int r = 0; r < nq; r += 4)
            {
                if (i0 == j0 && c > r + 3) // keys past every query of the row group: P = dS = 0
                {
                    for (int i = 0; i < 4; i++)
                    {
                        new Span<float>(x.P + (r + i) * ldB + c, width).Clear();
                        new Span<float>(x.DS + (r + i) * ldB + c, width).Clear();
                    }
                    continue;
                }
                Tile(x.Q + (i0 + r) * D, D, 1, x.KT + j0 + c, ldT, D, width, s); // S = Q Kᵀ
                Tile(x.DO + (i0 + r) * D, D, 1, x.VT + j0 + c, ldT, D, width, dp); // dP = dO Vᵀ
                for (int i = 0; i < width / 2; i++) // tile entry i: row i % 8 / 2, columns 8 · (i / 8 · 2 + i % 2) onwards
                {
                    int row = r + i % 8 / 2, col = c + 16 * (i / 8) + 8 * (i % 2);
                    var p = TorchExp.Exp(Vector256.FusedMultiplyAdd(s[i], scale, Vector256.Create(-x.L[i0 + row])));
                    if (i0 == j0) // the diagonal block: query i0 + row sees keys up to itself (so none past T)
                        p = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(Vector256.Create((float)col) + Lanes, Vector256.Create((float)row)),
                            p, Vector256<float>.Zero);
                    p.Store(x.P + row * ldB + col);
                    (p * (dp[i] - Vector256.Create(x.Delta[i0 + row])) * scale).Store(x.DS + row * ldB + col);
                }
            }
        }
        for (int c = 0; c < D; c += 32)
        {
            int width = Math.Min(32, D - c);
            for (int r = 0; r < nq; r += 4) // dQ += dS K over the key block
            {
                Tile(x.DS + r * ldB, ldB, 1, x.K + j0 * D + c, D, nk, width, s);
                AddRows(x.DQ + (i0 + r) * D + c, D, s, Math.Min(4, nq - r), width);
            }
            for (int r = 0; r < nk; r += 4) // dV += Pᵀ dO, dK += dSᵀ Q over the query block: columns of P and dS as rows
            {
                Tile(x.P + r, 1, ldB, x.DO + i0 * D + c, D, nq, width, s);
                AddRows(x.DV + (j0 + r) * D + c, D, s, Math.Min(4, nk - r), width);
                Tile(x.DS + r, 1, ldB, x.Q + i0 * D + c, D, nq, width, s);
                AddRows(x.DK + (j0 + r) * D + c, D, s, Math.Min(4, nk - r), width);
            }
        }
    }

    // A 4 × width tile (width 16 or 32) of the product, laid out as TileProducts.Outer4x32 writes it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(float* s, long sStride, long stepStride, float* v, long vStride, long steps, int width, Vector256<float>* output)
    {
        if (width == 32) TileProducts.Outer4x32(s, sStride, stepStride, v, vStride, steps, output);
        else TileProducts.Outer4x16(s, sStride, stepStride, v, vStride, steps, output);
    }

    private static readonly Vector256<float> Lanes = Vector256.Create(0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f);

    // Row stride of a transposed head (D, ldT): T rounded up to whole vectors of 16, plus 16 so that the rows a tile reads
    // together fall in different L1 sets (at T = 512 they would all share a few).
    private static long Stride(long t) => (t + 15) / 16 * 16 + 16;

    private static long Pad4(long t) => (t + 3) / 4 * 4;

    // The row's softmax numerators in place: e_j = exp(s·x_j − M) for j < count (M = s·max), 0 for count ≤ j < padded
    // (entries there are never used: they may hold anything); returns Σ e_j and M.
    private static float SoftmaxRow(float* x, long count, long padded, float scale, out float max)
    {
        var m = Vector256.Create(float.NegativeInfinity);
        long j = 0;
        for (; j + 8 <= count; j += 8) m = Vector256.Max(m, Vector256.Load(x + j));
        float top = float.NegativeInfinity;
        for (int i = 0; i < 8; i++) top = Math.Max(top, m.GetElement(i));
        for (; j < count; j++) top = Math.Max(top, x[j]);
        max = top * scale;
        var sum = Vector256<float>.Zero;
        var negMax = Vector256.Create(-max);
        long read = (count + 7) / 8 * 8; // past it, entries are zeroed without reading (they may be stale)
        for (j = read; j < padded; j += 8) Vector256<float>.Zero.Store(x + j);
        for (j = 0; j < read; j += 8)
        {
            var e = TorchExp.Exp(Vector256.FusedMultiplyAdd(Vector256.Load(x + j), Vector256.Create(scale), negMax));
            e = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Create((float)j) + Lanes, Vector256.Create((float)count)), e, Vector256<float>.Zero);
            e.Store(x + j);
            sum += e;
        }
        return Vector256.Sum(sum);
    }

    // rows i < count of dst (row stride ld) += the tile's row i (width entries, 16 or 32).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRows(float* dst, long ld, Vector256<float>* tile, int count, int width)
    {
        for (int half = 0; half < width / 16; half++)
            for (int i = 0; i < count; i++)
            {
                float* row = dst + i * ld + 16 * half;
                (Vector256.Load(row) + tile[8 * half + 2 * i]).Store(row);
                (Vector256.Load(row + 8) + tile[8 * half + 2 * i + 1]).Store(row + 8);
            }
    }

    private static float Dot(float* a, float* b, int d)
    {
        var sum = Vector256<float>.Zero;
        for (int c = 0; c < d; c += 8) sum = Vector256.FusedMultiplyAdd(Vector256.Load(a + c), Vector256.Load(b + c), sum);
        return Vector256.Sum(sum);
    }

    private static float* Alloc(long floats)
    {
        nuint bytes = (nuint)(Math.Max(1, floats) * sizeof(float));
        var p = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(p, bytes);
        return p;
    }

    // No allocation here: these run on libtorch's team threads, where managed allocations are kept out.
    private static void Free(float* p) => NativeMemory.AlignedFree(p);
}
