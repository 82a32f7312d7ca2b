using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The rotary embedding y = x · c + rotate_half(x) · s as one autograd node: with x₁, x₂ the halves of a row of D entries
/// and c, s its table rows, y₁ = x₁c₁ − x₂s₁ and y₂ = x₂c₂ + x₁s₂; backward is the transposed rotation,
/// ∂x₁ = g₁c₁ + g₂s₂ and ∂x₂ = g₂c₂ − g₁s₁. Each direction is one pass over the (b, h, t) rows, split over libtorch's
/// thread team (<see cref="OmpTeam"/>), and only the tables are kept for backward (autograd's graph of the composed
/// operations keeps x, the rotated copy and the cast tables, and runs some ten passes).
/// The rounding follows the composed operations: products and sums are float32 operations in the same order; for
/// bfloat16 the tables are cast with libtorch's cast, and each product and each sum is rounded to bfloat16 (nearest even)
/// where libtorch's bfloat16 kernels round (products of two bfloat16 values are exact in float32, so these are the same
/// numbers). The
/// three-way sum that libtorch's autograd accumulates for ∂x (a mul's and two narrows' gradients, the narrows padded with
/// +0) is reproduced by adding +0 last, which turns −0 into +0 as it does.
/// Measured on q (4, 12, 512, 64), a transposed view, 2 cores, against the composed operations (medians, interleaved):
/// float32 forward 0.6 ms / backward 0.5 ms against 2.4 / 2.7; bfloat16 0.55 / 0.47 against 1.0 / 1.25.
/// Arguments: x (B, H, T, D) float32 or bfloat16 with stride 1 in D, cos and sin (B or 1, T, D) contiguous float32.
/// </summary>
internal sealed class RotaryFunction : autograd.SingleTensorFunction<RotaryFunction>
{
    public override string Name => nameof(RotaryFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        using var scope = NewDisposeScope();
        var (x, cos, sin) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        var y = Compute(x, cos, sin);
        // Saved tensors must outlive the forward: TorchSharp commits them once it has returned.
        ctx.save_data("saved", new SavedTensors(cos, sin)); // released when this node's backward ends
        ctx.save_data("dtype", x.dtype);
        ctx.set_materialize_grads(false);
        return GradientHandoff.HandOver(y);
    }

    /// <summary>Whether the node takes these inputs (the shapes, dtypes and layouts its row loops read).</summary>
    public static bool Serves(Tensor x, Tensor cos, Tensor sin)
    {
        if (x.dtype is not (ScalarType.Float32 or ScalarType.BFloat16) || x.dim() != 4) return false;
        long b = x.shape[0], t = x.shape[2], d = x.shape[3];
        if (d == 0 || d % 2 != 0 || x.stride(3) != 1) return false;
        return Table(cos, b, t, d) && Table(sin, b, t, d) && cos.shape[0] == sin.shape[0];
    }

    // A (B or 1, T, D) contiguous float32 CPU table.
    private static bool Table(Tensor table, long b, long t, long d) =>
        table.dtype == ScalarType.Float32 && table.device_type == DeviceType.CPU && table.dim() == 3
        && (table.shape[0] == b || table.shape[0] == 1) && table.shape[1] == t && table.shape[2] == d && table.is_contiguous();

    /// <summary>The forward arithmetic (no autograd): the rotation of x, in x's memory layout when x is dense (else contiguous).</summary>
    internal static Tensor Compute(Tensor x, Tensor cos, Tensor sin)
    {
        var y = empty_like(x); // (B, H, T, D), x's strides when they are dense (a transposed view gives a transposed view)
        Rotate(x, y, cos, sin, transpose: false);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var saved = ((SavedTensors)ctx.get_data("saved")).Take();
        try
        {
            if (gradOutput is null || gradOutput.IsInvalid) return new List<Tensor> { null!, null!, null! };
            return Backward(ctx, gradOutput, saved[0]!, saved[1]!);
        }
        finally
        {
            SavedTensors.Release(saved);
        }
    }

    private static List<Tensor> Backward(autograd.AutogradContext ctx, Tensor gradOutput, Tensor cos, Tensor sin)
    {
        var grads = new List<Tensor> { null!, null!, null! };
        using var scope = NewDisposeScope();
        var dtype = (ScalarType)ctx.get_data("dtype");
        var g = gradOutput.dtype == dtype ? gradOutput : gradOutput.to_type(dtype); // (B, H, T, D)
        if (g.stride(3) != 1) g = g.contiguous(); // e.g. the expanded gradient of a sum
        var gx = empty_like(g); // (B, H, T, D)
        Rotate(g, gx, cos, sin, transpose: true);
        grads[0] = gx;
        gradOutput.Dispose();
        return GradientHandoff.Return(grads);
    }

    /// <summary>
    /// dst = the rotation of src (or, with <paramref name="transpose"/>, its transpose), row by row through both tensors'
    /// strides. Rows go in src's memory order: heads inner when their stride is the smaller (a transposed (B, T, H, D) view).
    /// Both directions are one formula, out₁ = in₁c₁ + in₂·(σa·sa), out₂ = in₂c₂ + in₁·(σb·sb), with
    /// forward: sa = s₁, σa = −1, sb = s₂, σb = +1; transpose: sa = s₂, σa = +1, sb = s₁, σb = −1 (negation is exact).
    /// </summary>
    private static unsafe void Rotate(Tensor src, Tensor dst, Tensor cos, Tensor sin, bool transpose)
    {
        if (src.numel() == 0) return;
        long h = src.shape[1], t = src.shape[2], d = src.shape[3], half = d / 2;
        bool headsInner = src.stride(1) <= src.stride(2);
        long n1 = headsInner ? t : h, n2 = headsInner ? h : t, rows = src.shape[0] * h * t;
        // element strides of (batch, outer, inner) for src, dst and the tables (which have no head dimension)
        long[] xs = Strides(src, headsInner), ys = Strides(dst, headsInner);
        long[] cs = { cos.shape[0] == 1 ? 0 : t * d, headsInner ? d : 0, headsInner ? 0 : d };
        using var scope = NewDisposeScope();
        bool bf16 = src.dtype == ScalarType.BFloat16;
        if (bf16) (cos, sin) = (cos.to_type(ScalarType.BFloat16), sin.to_type(ScalarType.BFloat16)); // the composed operations' casts
        nint xp = TensorAddress.Of(src), yp = TensorAddress.Of(dst), cp = TensorAddress.Of(cos), sp = TensorAddress.Of(sin);
        var (aOffset, bOffset) = transpose ? (half, 0L) : (0L, half);
        float signA = transpose ? 1f : -1f, signB = -signA;
        float zero = transpose ? 0f : -0f; // +0 turns a −0 sum into +0 as autograd's padded accumulation does; −0 changes nothing
        OmpTeam.For(rows, OmpTeam.RowGrain(d), (r0, r1) =>
        {
            long i0 = r0 / (n1 * n2), i1 = r0 % (n1 * n2) / n2, i2 = r0 % n2;
            for (long r = r0; r < r1; r++)
            {
                long xo = i0 * xs[0] + i1 * xs[1] + i2 * xs[2], yo = i0 * ys[0] + i1 * ys[1] + i2 * ys[2];
                long co = i0 * cs[0] + i1 * cs[1] + i2 * cs[2];
                if (bf16)
                {
                    ushort* c = (ushort*)cp + co, s = (ushort*)sp + co;
                    Bf16Row((ushort*)xp + xo, (ushort*)yp + yo, c, s + aOffset, s + bOffset, signA, signB, zero, half);
                }
                else
                {
                    float* c = (float*)cp + co, s = (float*)sp + co;
                    FloatRow((float*)xp + xo, (float*)yp + yo, c, s + aOffset, s + bOffset, signA, signB, zero, half);
                }
                if (++i2 < n2) continue;
                i2 = 0;
                if (++i1 < n1) continue;
                i1 = 0;
                i0++;
            }
        });
    }

    private static long[] Strides(Tensor x, bool headsInner) =>
        new[] { x.stride(0), headsInner ? x.stride(2) : x.stride(1), headsInner ? x.stride(1) : x.stride(2) };

    // One float32 row: y₁ = x₁c₁ + x₂(σa·sa), y₂ = x₂c₂ + x₁(σb·sb), each sum then + zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FloatRow(float* x, float* y, float* c, float* sa, float* sb, float signA, float signB, float zero, long half)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(signA), vb = Vector512.Create(signB), vz = Vector512.Create(zero);
            for (; j + 16 <= half; j += 16)
            {
                Vector512<float> lo = Vector512.Load(x + j), hi = Vector512.Load(x + half + j);
                Vector512.Store(lo * Vector512.Load(c + j) + hi * (Vector512.Load(sa + j) * va) + vz, y + j);
                Vector512.Store(hi * Vector512.Load(c + half + j) + lo * (Vector512.Load(sb + j) * vb) + vz, y + half + j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(signA), vb = Vector256.Create(signB), vz = Vector256.Create(zero);
            for (; j + 8 <= half; j += 8)
            {
                Vector256<float> lo = Vector256.Load(x + j), hi = Vector256.Load(x + half + j);
                Vector256.Store(lo * Vector256.Load(c + j) + hi * (Vector256.Load(sa + j) * va) + vz, y + j);
                Vector256.Store(hi * Vector256.Load(c + half + j) + lo * (Vector256.Load(sb + j) * vb) + vz, y + half + j);
            }
        }
        for (; j < half; j++)
        {
            float lo = x[j], hi = x[half + j];
            y[j] = lo * c[j] + hi * (sa[j] * signA) + zero;
            y[half + j] = hi * c[half + j] + lo * (sb[j] * signB) + zero;
        }
    }

    // One bfloat16 row (tables cast to bfloat16), as float32 with bfloat16 rounding (R) of each product and of each sum.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Bf16Row(ushort* x, ushort* y, ushort* c, ushort* sa, ushort* sb, float signA, float signB, float zero, long half)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> va = Vector512.Create(signA), vb = Vector512.Create(signB), vz = Vector512.Create(zero);
            for (; j + 16 <= half; j += 16)
            {
                Vector512<float> lo = Bf16Rows.Load16(x + j), hi = Bf16Rows.Load16(x + half + j);
                var c1 = Bf16Rows.Load16(c + j) * lo;
                var c2 = Bf16Rows.Load16(c + half + j) * hi;
                var s1 = Bf16Rows.Load16(sa + j) * va * hi;
                var s2 = Bf16Rows.Load16(sb + j) * vb * lo;
                Bf16Rows.Store16(y + j, R(R(c1) + R(s1)) + vz);
                Bf16Rows.Store16(y + half + j, R(R(c2) + R(s2)) + vz);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> va = Vector256.Create(signA), vb = Vector256.Create(signB), vz = Vector256.Create(zero);
            for (; j + 8 <= half; j += 8)
            {
                Vector256<float> lo = Bf16Rows.Load(x + j), hi = Bf16Rows.Load(x + half + j);
                var c1 = Bf16Rows.Load(c + j) * lo;
                var c2 = Bf16Rows.Load(c + half + j) * hi;
                var s1 = Bf16Rows.Load(sa + j) * va * hi;
                var s2 = Bf16Rows.Load(sb + j) * vb * lo;
                Bf16Rows.Store(y + j, R(R(c1) + R(s1)) + vz);
                Bf16Rows.Store(y + half + j, R(R(c2) + R(s2)) + vz);
            }
        }
        for (; j < half; j++)
        {
            float lo = Bf16Rows.Widen(x[j]), hi = Bf16Rows.Widen(x[half + j]);
            float c1 = Bf16Rows.Widen(c[j]) * lo, c2 = Bf16Rows.Widen(c[half + j]) * hi;
            float s1 = Bf16Rows.Widen(sa[j]) * signA * hi, s2 = Bf16Rows.Widen(sb[j]) * signB * lo;
            y[j] = Bf16Rows.Round(R(R(c1) + R(s1)) + zero);
            y[half + j] = Bf16Rows.Round(R(R(c2) + R(s2)) + zero);
        }
    }

    // float32 rounded to the nearest bfloat16 (ties to even), kept as float32 (Bf16Rows.Rounded; a NaN stays a NaN).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> R(Vector256<float> v) => Bf16Rows.Rounded(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> R(Vector512<float> v) => Bf16Rows.Rounded(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float R(float f) => Bf16Rows.Widen(Bf16Rows.Round(f));
}
