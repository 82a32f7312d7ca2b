using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LoraLab.Kernels;

namespace LoraLab.Generation;

/// <summary>
/// The greedy (first-maximum) token over a large float32 classifier, reading about half its bytes, with the same choice
/// as the argmax of the float32 logits that <see cref="Kernels.DecodeMath.MatVec"/> computes. A bfloat16 copy of the
/// classifier (nearest even) scores every row; each row j carries a bound E_j such that the float32 logit l_j and the
/// bfloat16 score s_j of any hidden state h satisfy |l_j − s_j| ≤ ‖h‖₂·E_j; then only the rows whose interval
/// [s_j − ‖h‖₂E_j, s_j + ‖h‖₂E_j] reaches the highest lower end can be a first maximum, and those are scored again
/// in float32 by the same loop as the full product (so their logits are the full product's, bit for bit).
/// <para>The bound: both dot products accumulate n float32 terms in some order with fused multiply-adds, so each is
/// within γ_n·Σ|h_i·v_i| of its exact value (γ_n = n·u/(1 − n·u), u = 2⁻²⁴; plus n·2⁻¹²⁶ should subnormals flush), and
/// the exact values differ by Σ h_i (w_i − w̃_i). Hence |l_j − s_j| ≤ Σ|h_i|·δ_i + slack with δ_i = |w_i − w̃_i| +
/// γ_n(|w_i| + |w̃_i|), and by Cauchy–Schwarz Σ|h_i|·δ_i ≤ ‖h‖₂‖δ‖₂. E_j is ‖δ‖₂ computed in double and rounded up.</para>
/// When h or a score is not finite, or too many rows stay in the running, <see cref="Choose"/> declines and the caller
/// computes the float32 logits whole.
/// </summary>
internal sealed unsafe class GreedyClassifier : IDisposable
{
    /// <summary>Classifiers smaller than this (1 MiB of float32) stay in cache, where halving the bytes saves nothing.</summary>
    public const long MinBytes = 1L << 20;

    private readonly float* weights; // (rows, n) float32, the model's own
    private readonly ushort* shadow; // (rows, n) bfloat16
    private readonly double* bound; // (rows) E_j
    private readonly int rows, n;
    private readonly double gamma;
    private readonly int[] candidates;
    private int usable = 1; // cleared by Build when a weight is not finite

    /// <summary>Whether a (rows, n) float32 classifier is large enough to use one.</summary>
    public static bool Worth(long rows, long n) => rows * n * sizeof(float) >= MinBytes;

    public GreedyClassifier(float* weights, int rows, int n)
    {
        this.weights = weights;
        (this.rows, this.n) = (rows, n);
        shadow = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * n * sizeof(ushort)), 64);
        bound = (double*)NativeMemory.Alloc((nuint)rows, sizeof(double));
        double nu = n * Math.ScaleB(1.0, -24);
        gamma = nu / (1 - nu);
        candidates = new int[Math.Max(16, rows / 16)];
    }

    /// <summary>False once <see cref="Build"/> met a weight that is not finite: <see cref="Choose"/> then always declines.</summary>
    public bool Usable => Volatile.Read(ref usable) != 0;

    /// <summary>E_j of row <paramref name="row"/> (after <see cref="Build"/>): |float32 logit − bfloat16 score| ≤ ‖h‖₂·E_j.</summary>
    public double Bound(int row) => bound[row];

    /// <summary>Fills rows [r0, r1) of the bfloat16 copy and their bounds; every row must be built before <see cref="Choose"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Build(int r0, int r1)
    {
        // δ² is summed in float32, 16 lanes at a time: the sum's relative error is below (n + 16)·u, and each δ's below 4u,
        // so E is rounded up by that much and a little more.
        double up = 1 + (n + 32) * Math.ScaleB(1.0, -23) + 1e-9;
        var g = Vector512.Create((float)(gamma * (1 + 1e-6)));
        for (int r = r0; r < r1; r++)
        {
            float* w = weights + (long)r * n;
            ushort* s = shadow + (long)r * n;
            double sum = 0;
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var acc = Vector512<float>.Zero;
                var finite = Vector512<uint>.AllBitsSet;
                for (; i + 16 <= n; i += 16)
                {
                    var u = Vector512.Load((uint*)w + i);
                    finite &= Vector512.LessThan(u & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
                    var b = (u + Vector512.Create(0x7FFFu) + (Vector512.ShiftRightLogical(u, 16) & Vector512.Create(1u))) >> 16; // Bf16Rows.Round, 16 at a time
                    Vector512.Narrow(b, Vector512<uint>.Zero).GetLower().Store(s + i);
                    var wf = u.AsSingle();
                    var wb = Vector512.ShiftLeft(b, 16).AsSingle();
                    var d = Vector512.Abs(wf - wb) + g * (Vector512.Abs(wf) + Vector512.Abs(wb));
                    acc = Vector512.FusedMultiplyAdd(d, d, acc);
                }
                if (!Vector512.EqualsAll(finite, Vector512<uint>.AllBitsSet)) { Volatile.Write(ref usable, 0); return; }
                sum = Vector512.Sum(acc);
                if (sum < 1e-30) (i, sum) = (0, 0); // squares this small may have underflowed in float32: the row again, in double
            }
            for (; i < n; i++)
            {
                float wi = w[i];
                if (!float.IsFinite(wi)) { Volatile.Write(ref usable, 0); return; }
                ushort b = Bf16Rows.Round(wi);
                s[i] = b;
                double wb = Bf16Rows.Widen(b), d = Math.Abs(wi - wb) + gamma * (Math.Abs(wi) + Math.Abs(wb));
                sum += d * d;
            }
            bound[r] = Math.Sqrt(sum) * up; // rounded up past the error of the sums and the root
        }
    }

    /// <summary>scores[r] = Σ_i w̃[r, i]·h[i] for rows [r0, r1), each row read once (the matrix streams from memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Score(float* h, float* scores, int r0, int r1)
    {
        for (int r = r0; r < r1; r++) scores[r] = Dot(shadow + (long)r * n, h, n);
    }

    /// <summary>
    /// The first maximum of the float32 logits of h, given every row's bfloat16 score; <paramref name="exact"/> writes the
    /// float32 logits of rows [r0, r1) into <paramref name="logits"/> as the full product would. Returns −1 (the caller
    /// then computes all logits) when it cannot decide cheaply.
    /// </summary>
    public int Choose(float* h, float* scores, float* logits, Action<int, int> exact)
    {
        if (!Usable) return -1;
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            if (!float.IsFinite(h[i])) return -1;
            norm += (double)h[i] * h[i];
        }
        norm = Math.Sqrt(norm) * (1 + 1e-9);
        double slack = n * Math.ScaleB(1.0, -125); // subnormal results, flushed or rounded, in both products
        double Margin(int r) => norm * bound[r] + slack; // |l_r − s_r| ≤ this
        double floor = double.NegativeInfinity;
        for (int r = 0; r < rows; r++)
        {
            float s = scores[r];
            if (!float.IsFinite(s)) return -1;
            floor = Math.Max(floor, s - Margin(r));
        }
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            if (scores[r] + Margin(r) < floor) continue;
            if (count == candidates.Length) return -1;
            candidates[count++] = r;
        }
        // Rescore each candidate's aligned block of four rows: the full product computes rows in such blocks, so its logits
        // are these values exactly.
        int best = -1, scored = -1;
        for (int c = 0; c < count; c++)
        {
            int r = candidates[c];
            if (r >= scored)
            {
                int first = r & ~3;
                scored = Math.Min(first + 4, rows);
                exact(first, scored);
            }
            float l = logits[r];
            if (float.IsNaN(l)) return -1;
            if (best < 0 || l > logits[best]) best = r; // ascending ids: the first of equal maxima stays
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Dot(ushort* w, float* x, int n)
    {
        int j = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc = Vector512<float>.Zero, acc2 = Vector512<float>.Zero;
            for (; j + 32 <= n; j += 32)
            {
                if (Sse.IsSupported) Sse.Prefetch0(w + j + AheadEntries);
                acc = Vector512.FusedMultiplyAdd(Bf16Rows.Load16(w + j), Vector512.Load(x + j), acc);
                acc2 = Vector512.FusedMultiplyAdd(Bf16Rows.Load16(w + j + 16), Vector512.Load(x + j + 16), acc2);
            }
            for (; j + 16 <= n; j += 16) acc = Vector512.FusedMultiplyAdd(Bf16Rows.Load16(w + j), Vector512.Load(x + j), acc);
            sum = Vector512.Sum(acc + acc2);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; j + 8 <= n; j += 8) acc = Vector256.FusedMultiplyAdd(Bf16Rows.Load(w + j), Vector256.Load(x + j), acc);
            sum = Vector256.Sum(acc);
        }
        for (; j < n; j++) sum = MathF.FusedMultiplyAdd(Bf16Rows.Widen(w[j]), x[j], sum);
        return sum;
    }

    /// <summary>How far ahead of the entries being read the copy is prefetched: 4 KiB, past where hardware prefetch stops.</summary>
    private const int AheadEntries = 2048;

    public void Dispose()
    {
        NativeMemory.AlignedFree(shadow);
        NativeMemory.Free(bound);
    }
}
