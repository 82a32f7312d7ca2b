using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// RMSNorm, y = w ⊙ x·ρ with ρ = 1/√(mean(x²) + ε) per row, as one autograd node for contiguous float32 x (…, C) and
/// weight (C). Forward is one pass over the rows and keeps x and ρ (N floats) for backward; backward is one pass that
/// recomputes n = x·ρ and gives, with ĝ = g ⊙ w,
/// ∂L/∂x = ρ·(ĝ − n·(ĝ·n)/C) and ∂L/∂w = Σ_rows g ⊙ n (only those whose inputs require a gradient).
/// libtorch's composed operations take five kernels forward and about a dozen in backward, with a reduction over the rows
/// for ∂L/∂w and, when the weight trains, a kept copy of n. Rows are split over libtorch's thread team
/// (<see cref="OmpTeam"/>); ∂L/∂w's per-part sums are added in part order, so the result does not depend on thread timing.
/// Values equal the composed operations' (same formula and rounding steps: (x·ρ) then ·w, ρ = 1/√(Σx²/C + ε)) up to the
/// order in which Σx² is summed. Arguments: x (…, C), weight (C), eps (double).
/// </summary>
internal sealed class RmsNormFunction : autograd.SingleTensorFunction<RmsNormFunction>
{
    public override string Name => nameof(RmsNormFunction);

    /// <summary>Whether the node serves this input and weight (else the caller runs the reference).</summary>
    public static bool Serves(Tensor x, Tensor weight) => x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
        && x.dim() >= 1 && weight.dim() == 1 && weight.shape[0] == x.shape[^1] && weight.is_contiguous() && x.numel() > 0;

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        using var scope = NewDisposeScope();
        var (x, w) = ((Tensor)vars[0], (Tensor)vars[1]);
        double eps = (double)vars[2];
        var rho = empty(x.numel() / x.shape[^1], dtype: ScalarType.Float32); // (N): 1/rms of each row
        var y = Compute(x, w, eps, rho);
        ctx.save_data("saved", new SavedTensors(x, w, rho)); // released when this node's backward ends
        ctx.save_data("needs", new[] { x.requires_grad, w.requires_grad });
        ctx.set_materialize_grads(false);
        return GradientHandoff.HandOver(y, rho);
    }

    /// <summary>The forward arithmetic (no autograd) on contiguous x; writes each row's ρ into <paramref name="rho"/> (N) when given.</summary>
    internal static unsafe Tensor Compute(Tensor x, Tensor w, double eps, Tensor? rho)
    {
        long c = x.shape[^1], n = x.numel() / c;
        var y = empty_like(x); // (…, C)
        float epsF = (float)eps; // libtorch adds a double scalar to a float tensor in float
        fixed (byte* xs = x.bytes, ws = w.bytes, ys = y.bytes)
        {
            float* rs = null;
            if (rho is not null) fixed (byte* t = rho.bytes) rs = (float*)t; // a libtorch buffer: its address stays valid while the tensor lives
            nint xp = (nint)xs, wp = (nint)ws, yp = (nint)ys, rp = (nint)rs;
            OmpTeam.For(n, OmpTeam.RowGrain(c), (r0, r1) =>
            {
                for (long i = r0; i < r1; i++)
                {
                    float r = ForwardRow((float*)xp + i * c, (float*)wp, (float*)yp + i * c, c, epsF);
                    if (rp != 0) ((float*)rp)[i] = r;
                }
            });
        }
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var saved = ((SavedTensors)ctx.get_data("saved")).Take();
        try
        {
            if (gradOutput is null || gradOutput.IsInvalid) return new List<Tensor> { null!, null!, null! };
            return Backward(ctx, gradOutput, saved[0]!, saved[1]!, saved[2]!);
        }
        finally
        {
            SavedTensors.Release(saved);
        }
    }

    private static List<Tensor> Backward(autograd.AutogradContext ctx, Tensor gradOutput, Tensor x, Tensor w, Tensor rho)
    {
        var grads = new List<Tensor> { null!, null!, null! };
        using var scope = NewDisposeScope();
        var needs = (bool[])ctx.get_data("needs");
        var g = gradOutput.is_contiguous() ? gradOutput : gradOutput.contiguous(); // (…, C)
        var gx = needs[0] ? empty_like(x) : null; // (…, C)
        var gw = needs[1] ? zeros_like(w) : null; // (C)
        Backward(x, w, rho, g, gx, gw);
        grads[0] = gx!;
        grads[1] = gw!;
        gradOutput.Dispose();
        return GradientHandoff.Return(grads);
    }

    // ∂L/∂x into gx and ∂L/∂w into gw (each when given) from contiguous x, g (N·C) and ρ (N).
    private static unsafe void Backward(Tensor x, Tensor w, Tensor rho, Tensor g, Tensor? gx, Tensor? gw)
    {
        long c = x.shape[^1], n = x.numel() / c;
        // ∂L/∂w sums over rows: part 0 adds into gw, each other part into its own zeroed buffer, added in part order.
        int parts = OmpTeam.Parts(n, OmpTeam.RowGrain(c));
        var partials = new nint[parts];
        try
        {
            fixed (byte* xs = x.bytes, ws = w.bytes, rs = rho.bytes, gs = g.bytes)
            {
                byte* gxs = null, gws = null;
                if (gx is not null) fixed (byte* t = gx.bytes) gxs = t; // libtorch buffers: addresses stay valid while the tensors live
                if (gw is not null) fixed (byte* t = gw.bytes) gws = t;
                if (gws != null)
                {
                    partials[0] = (nint)gws;
                    for (int q = 1; q < parts; q++) partials[q] = (nint)NativeMemory.AllocZeroed((nuint)c, sizeof(float));
                }
                nint xp = (nint)xs, wp = (nint)ws, rp = (nint)rs, gp = (nint)gs, gxp = (nint)gxs;
                OmpTeam.For(parts, 1, (q0, q1) =>
                {
                    for (long q = q0; q < q1; q++)
                        for (long i = n * q / parts; i < n * (q + 1) / parts; i++)
                            BackwardRow((float*)xp + i * c, (float*)wp, ((float*)rp)[i], (float*)gp + i * c,
                                gxp == 0 ? null : (float*)gxp + i * c, (float*)partials[q], c);
                });
                for (int q = 1; q < parts && gws != null; q++)
                    DecodeMath.AddInPlace((float*)gws, (float*)partials[q], (int)c);
            }
        }
        finally
        {
            for (int q = 1; q < parts; q++) NativeMemory.Free((void*)partials[q]); // null (nothing) without gw
        }
    }

    // y = w ⊙ (x·ρ), ρ = 1/√(Σx²/C + ε); returns ρ.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float ForwardRow(float* x, float* w, float* y, long c, float eps)
    {
        float rho = 1f / MathF.Sqrt(Dot(x, x, c) / c + eps);
        var r = Vector256.Create(rho);
        long j = 0;
        for (; j + 8 <= c; j += 8) Vector256.Store(Vector256.Load(w + j) * (Vector256.Load(x + j) * r), y + j);
        for (; j < c; j++) y[j] = w[j] * (x[j] * rho);
        return rho;
    }

    // With n = x·ρ and ĝ = g ⊙ w: gx = ρ·(ĝ − n·(ĝ·n)/C) when gx is given; gw += g ⊙ n when gw is given.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BackwardRow(float* x, float* w, float rho, float* g, float* gx, float* gw, long c)
    {
        var r = Vector256.Create(rho);
        long j;
        if (gx != null)
        {
            // (ĝ·n)/C = ρ·(Σ g_j w_j x_j)/C
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            for (j = 0; j + 16 <= c; j += 16)
            {
                a0 += Vector256.Load(g + j) * Vector256.Load(w + j) * (Vector256.Load(x + j) * r);
                a1 += Vector256.Load(g + j + 8) * Vector256.Load(w + j + 8) * (Vector256.Load(x + j + 8) * r);
            }
            float dot = Vector256.Sum(a0 + a1);
            for (; j < c; j++) dot += g[j] * w[j] * (x[j] * rho);
            float mean = dot / c;
            var m = Vector256.Create(mean);
            for (j = 0; j + 8 <= c; j += 8)
            {
                var nv = Vector256.Load(x + j) * r;
                Vector256.Store(r * (Vector256.Load(g + j) * Vector256.Load(w + j) - nv * m), gx + j);
            }
            for (; j < c; j++) gx[j] = rho * (g[j] * w[j] - x[j] * rho * mean);
        }
        if (gw != null)
        {
            for (j = 0; j + 8 <= c; j += 8) Vector256.Store(Vector256.Load(gw + j) + Vector256.Load(g + j) * (Vector256.Load(x + j) * r), gw + j);
            for (; j < c; j++) gw[j] += g[j] * (x[j] * rho);
        }
    }

    // Σ a_j b_j with four 8-lane accumulators, unfused (DecodeMath.Dot's fused multiply-adds moved the stories260K
    // model's cached-decoding logits off its full forward's by more than 1e-5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Dot(float* a, float* b, long count)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var s2 = Vector256<float>.Zero;
        var s3 = Vector256<float>.Zero;
        long j = 0;
        for (; j + 32 <= count; j += 32)
        {
            s0 += Vector256.Load(a + j) * Vector256.Load(b + j);
            s1 += Vector256.Load(a + j + 8) * Vector256.Load(b + j + 8);
            s2 += Vector256.Load(a + j + 16) * Vector256.Load(b + j + 16);
            s3 += Vector256.Load(a + j + 24) * Vector256.Load(b + j + 24);
        }
        for (; j + 8 <= count; j += 8) s0 += Vector256.Load(a + j) * Vector256.Load(b + j);
        float sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; j < count; j++) sum += a[j] * b[j];
        return sum;
    }
}
