using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LoraLab.Kernels;

/// <summary>
/// float32 vector loops for batch-1 decoding over raw pointers: matrix-vector products (row-major weights, y = W x, four
/// rows per pass so each load of x serves four rows), RMSNorm, SiLU·up, softmax. Dot products accumulate in float32 with
/// fused multiply-adds, 16 lanes at a time where AVX-512 is accelerated (else 8, else scalar); their order differs from
/// libtorch's, so results agree with it to float rounding, not bit for bit. Every loop is compiled fully optimized on
/// its first call (a short generation would otherwise run much of itself in the JIT's unoptimized first tier).
/// </summary>
public static unsafe class DecodeMath
{
    /// <summary>Matrices of at least this many floats (256 KiB, a quarter of a Zen 4 core's L2) are taken to stream from memory.</summary>
    private const long StreamedFloats = 64 * 1024;

    /// <summary>
    /// y[r] = Σ_j w[r·n + j]·x[j] for rows r in [r0, r1) of the (rows, n) matrix <paramref name="w"/>. A matrix that streams
    /// from memory is read one row after another (on a Zen 4 core that ran ~1.8× faster than four interleaved rows, which
    /// win by ~2× once the matrix is cached); a cached one four rows per pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatVec(float* w, float* x, float* y, int n, int rows, int r0, int r1)
    {
        int r = r0;
        if ((long)rows * n >= StreamedFloats)
        {
            for (; r < r1; r++) y[r] = Dot(w + (long)r * n, x, n, ahead: true);
            return;
        }
        for (; r + 4 <= r1; r += 4)
        {
            float* w0 = w + (long)r * n;
            Dot4(w0, w0 + n, w0 + 2 * n, w0 + 3 * n, x, n, y + r);
        }
        for (; r < r1; r++) y[r] = Dot(w + (long)r * n, x, n);
    }

    /// <summary>The dot product of two float32 vectors of length n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n) => Dot(a, b, n, ahead: false);

    /// <summary>
    /// How far ahead of the entries being read a streamed matrix is prefetched: 4 KiB, past the page boundary where the
    /// hardware prefetchers stop. Over eight alternating runs against run.c (stories15M shape, 2 threads) the decoder's
    /// ratio went from 0.84–1.09 (median 0.97) without it to 0.97–1.14 (median 1.00) with it.
    /// </summary>
    private const int AheadFloats = 1024;

    /// <summary>
    /// The dot product; with <paramref name="ahead"/> (a row of a streamed matrix) the memory <see cref="AheadFloats"/>
    /// past each 16 entries of <paramref name="a"/> is prefetched as they are read (AVX-512 only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* a, float* b, int n, bool ahead)
    {
        int j = 0;
        float sum = 0;
        ahead &= Sse.IsSupported;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            // four accumulators: consecutive fused multiply-adds do not wait on each other's result
            Vector512<float> acc = Vector512<float>.Zero, acc2 = Vector512<float>.Zero, acc3 = Vector512<float>.Zero, acc4 = Vector512<float>.Zero;
            for (; j + 64 <= n; j += 64)
            {
                if (ahead)
                {
                    for (int line = 0; line < 64; line += 16) Sse.Prefetch0(a + j + line + AheadFloats);
                }
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), Vector512.Load(b + j), acc);
                acc2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 16), Vector512.Load(b + j + 16), acc2);
                acc3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 32), Vector512.Load(b + j + 32), acc3);
                acc4 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 48), Vector512.Load(b + j + 48), acc4);
            }
            for (; j + 16 <= n; j += 16)
            {
                if (ahead) Sse.Prefetch0(a + j + AheadFloats);
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), Vector512.Load(b + j), acc);
            }
            sum = Vector512.Sum((acc + acc2) + (acc3 + acc4));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; j + 8 <= n; j += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), Vector256.Load(b + j), acc);
            sum = Vector256.Sum(acc);
        }
        for (; j < n; j++) sum = MathF.FusedMultiplyAdd(a[j], b[j], sum);
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Dot4(float* a, float* b, float* c, float* d, float* x, int n, float* y)
    {
        int j = 0;
        float sa = 0, sb = 0, sc = 0, sd = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> va = default, vb = default, vc = default, vd = default;
            for (; j + 16 <= n; j += 16)
            {
                var xv = Vector512.Load(x + j);
                va = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), xv, va);
                vb = Vector512.FusedMultiplyAdd(Vector512.Load(b + j), xv, vb);
                vc = Vector512.FusedMultiplyAdd(Vector512.Load(c + j), xv, vc);
                vd = Vector512.FusedMultiplyAdd(Vector512.Load(d + j), xv, vd);
            }
            sa = Vector512.Sum(va); sb = Vector512.Sum(vb); sc = Vector512.Sum(vc); sd = Vector512.Sum(vd);
        }
        if (Vector256.IsHardwareAccelerated && j + 8 <= n)
        {
            Vector256<float> va = default, vb = default, vc = default, vd = default;
            for (; j + 8 <= n; j += 8)
            {
                var xv = Vector256.Load(x + j);
                va = Vector256.FusedMultiplyAdd(Vector256.Load(a + j), xv, va);
                vb = Vector256.FusedMultiplyAdd(Vector256.Load(b + j), xv, vb);
                vc = Vector256.FusedMultiplyAdd(Vector256.Load(c + j), xv, vc);
                vd = Vector256.FusedMultiplyAdd(Vector256.Load(d + j), xv, vd);
            }
            sa += Vector256.Sum(va); sb += Vector256.Sum(vb); sc += Vector256.Sum(vc); sd += Vector256.Sum(vd);
        }
        for (; j < n; j++)
        {
            float xj = x[j];
            sa = MathF.FusedMultiplyAdd(a[j], xj, sa);
            sb = MathF.FusedMultiplyAdd(b[j], xj, sb);
            sc = MathF.FusedMultiplyAdd(c[j], xj, sc);
            sd = MathF.FusedMultiplyAdd(d[j], xj, sd);
        }
        y[0] = sa; y[1] = sb; y[2] = sc; y[3] = sd;
    }

    /// <summary>y = weight · x / sqrt(mean(x²) + eps) over n entries (Hugging Face's LlamaRMSNorm in float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float* x, float* weight, float* y, int n, float eps)
    {
        float ss = Dot(x, x, n);
        float inv = 1f / MathF.Sqrt(ss / n + eps);
        for (int j = 0; j < n; j++) y[j] = weight[j] * (x[j] * inv);
    }

    /// <summary>x += y over n entries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInPlace(float* x, float* y, int n)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(x + j) + Vector256.Load(y + j), x + j);
        }
        for (; j < n; j++) x[j] += y[j];
    }

    /// <summary>gate[j] = silu(gate[j]) · up[j] = gate/(1 + e^−gate) · up, for j in [j0, j1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SiluMul(float* gate, float* up, int j0, int j1)
    {
        int j = j0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1f);
            for (; j + 8 <= j1; j += 8)
            {
                var g = Vector256.Load(gate + j);
                Vector256.Store(g / (one + Vector256.Exp(-g)) * Vector256.Load(up + j), gate + j);
            }
        }
        for (; j < j1; j++)
        {
            float g = gate[j];
            gate[j] = g / (1f + MathF.Exp(-g)) * up[j];
        }
    }

    /// <summary>In-place softmax of x[0..n): e^(x − max) / Σ, the exponentials 8 lanes at a time where vectors are accelerated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* x, int n)
    {
        int j = 0;
        float max = float.NegativeInfinity, sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var m = Vector256.Create(float.NegativeInfinity);
            for (; j + 8 <= n; j += 8) m = Vector256.Max(m, Vector256.Load(x + j));
            for (int i = 0; i < 8; i++) max = MathF.Max(max, m[i]);
        }
        for (; j < n; j++) max = MathF.Max(max, x[j]);
        j = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var mv = Vector256.Create(max);
            var acc = Vector256<float>.Zero;
            for (; j + 8 <= n; j += 8)
            {
                var e = Vector256.Exp(Vector256.Load(x + j) - mv);
                e.Store(x + j);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; j < n; j++)
        {
            x[j] = MathF.Exp(x[j] - max);
            sum += x[j];
        }
        float inv = 1f / sum;
        j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var iv = Vector256.Create(inv);
            for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(x + j) * iv, x + j);
        }
        for (; j < n; j++) x[j] *= inv;
    }

    /// <summary>y += a · x over n entries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float a, float* x, float* y, int n)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a);
            for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.FusedMultiplyAdd(av, Vector256.Load(x + j), Vector256.Load(y + j)), y + j);
        }
        for (; j < n; j++) y[j] = MathF.FusedMultiplyAdd(a, x[j], y[j]);
    }
}
