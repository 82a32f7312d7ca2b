using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// y = x Wᵀ + s · (dropout(x) Aᵀ) Bᵀ as one autograd node that keeps for backward (<see cref="SavedTensors"/>) x (usually shared with its sibling
/// projections, so q/k/v or gate/up keep one copy between them), the r-wide u = dropout(x) Aᵀ (r/in of x) and its dropout
/// mask as bits (1/32 of x in float32): a counter-based Bernoulli(1 − p) draw (<see cref="DropoutMask"/>) keyed from the
/// global generator, hashed once in forward and replayed from the bits in backward (hashing it again there cost more than
/// the rest of the LoRA branch at small widths). Autograd's own graph would keep, per module, the dropped copy of x and a
/// float mask.
/// Forward writes the r-wide term first and the frozen weight's GEMM accumulates onto it (y = s u Bᵀ, then y += x Wᵀ), so
/// adding it costs no separate pass over the (N, out) output.
/// Under dropout, at ranks up to 16 in float32 or bfloat16, the r-wide products with the mask run in <see cref="LoraRows"/>'
/// row-block loops; otherwise (no dropout, larger ranks, other dtypes) as libtorch operations, masked rows a block at a time.
/// Same values and gradients as the composed operations (PEFT's LoRA forward), up to float rounding.
/// Arguments: x (…, in), W (out, in), A (r, in), B (out, r), s (double), p (double, dropout).
/// </summary>
internal sealed class LoraLinearFunction : autograd.SingleTensorFunction<LoraLinearFunction>
{
    public override string Name => nameof(LoraLinearFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        using var scope = NewDisposeScope();
        var (x, w, a, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        double s = (double)vars[4], p = (double)vars[5];
        ulong? key = p > 0 ? DropoutMask.NewKey() : null;
        var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
        var bits = key is null ? null : empty(x2.shape[0], DropoutMask.RowBytes(x2.shape[1]), dtype: ScalarType.Byte); // (N, ⌈in/8⌉)
        var y = Compute(x, w, a, b, s, p, key, bits, out var u);
        ctx.save_data("saved", new SavedTensors(x, w, a, b, u, bits)); // released when this node's backward ends
        ctx.save_data("s", s);
        ctx.save_data("p", p);
        ctx.save_data("key", key);
        ctx.save_data("needs", new[] { x.requires_grad, w.requires_grad, a.requires_grad, b.requires_grad });
        ctx.set_materialize_grads(false);
        return GradientHandoff.HandOver(y, u, bits);
    }

    /// <summary>
    /// The forward arithmetic (no autograd): x Wᵀ + s · (dropout(x) Aᵀ) Bᵀ with the mask of <paramref name="key"/> (none when
    /// null), recorded into <paramref name="bits"/> (N, ⌈in/8⌉) when given.
    /// </summary>
    internal static Tensor Compute(Tensor x, Tensor w, Tensor a, Tensor b, double s, double p, ulong? key)
    {
        var y = Compute(x, w, a, b, s, p, key, null, out var u);
        u.Dispose();
        return y;
    }

    // As above, also handing out u = dropout(x) Aᵀ (N, r).
    private static Tensor Compute(Tensor x, Tensor w, Tensor a, Tensor b, double s, double p, ulong? key, Tensor? bits, out Tensor u)
    {
        using var scope = NewDisposeScope();
        var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
        long n = x2.shape[0];
        if (key is { } rowKey && LoraRows.Serves(x2, a))
        {
            u = empty(n, a.shape[0], dtype: x2.dtype); // (N, r)
            LoraRows.Forward(x2, a, u, p, rowKey, bits);
        }
        else if (key is { } k)
        {
            // Rows a block at a time so the dropped copy of x is one small reused buffer (whole-size temporaries fragment
            // the heap); u is written in place, block by block.
            u = empty(n, a.shape[0], dtype: x2.dtype); // (N, r)
            var buffer = new DropBuffer(x2, p, k, bits, record: true);
            for (long r0 = 0; r0 < n; r0 += buffer.Rows)
            {
                using var block = NewDisposeScope();
                long len = Math.Min(buffer.Rows, n - r0);
                u.narrow(0, r0, len).addmm_(buffer.Dropped(x2, r0, len), a.t(), beta: 0f, alpha: 1f); // (R, r)
            }
        }
        else u = x2.matmul(a.t()); // (N, r)
        var y = empty(n, w.shape[0], dtype: x2.dtype).addmm_(u, b.t(), beta: 0f, alpha: (float)s); // (N, out) = s u Bᵀ
        y.addmm_(x2, w.t(), beta: 1f, alpha: 1f); // += x Wᵀ
        var shape = x.shape.ToArray();
        shape[^1] = w.shape[0];
        u = u.MoveToOuterDisposeScope();
        return y.view(shape).MoveToOuterDisposeScope(); // (…, out)
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var saved = ((SavedTensors)ctx.get_data("saved")).Take();
        try
        {
            return Backward(ctx, gradOutput, saved);
        }
        finally
        {
            SavedTensors.Release(saved);
        }
    }

    private static List<Tensor> Backward(autograd.AutogradContext ctx, Tensor gradOutput, Tensor?[] saved)
    {
        var grads = new List<Tensor> { null!, null!, null!, null!, null!, null! };
        if (gradOutput is null || gradOutput.IsInvalid) return grads;
        using var scope = NewDisposeScope();
        var (x, w, a, b, u) = (saved[0]!, saved[1]!, saved[2]!, saved[3]!, saved[4]!);
        var bits = saved[5]; // (N, ⌈in/8⌉) the forward's mask, when dropout is on
        double s = (double)ctx.get_data("s"), p = (double)ctx.get_data("p");
        var key = (ulong?)ctx.get_data("key");
        var needs = (bool[])ctx.get_data("needs");
        var g = gradOutput.reshape(-1, w.shape[0]); // (N, out)
        var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
        long n = x2.shape[0];
        using Scalar scale = s.ToScalar();
        var gu = g.matmul(b).mul_(scale); // (N, r): ∂L/∂u
        if (needs[1]) grads[1] = g.t().matmul(x2); // (out, in)
        if (needs[3]) grads[3] = u.t().matmul(g).mul_(scale).t(); // (out, r) = s gᵀ u, as (s uᵀ g)ᵀ: libtorch's GEMM takes g untransposed
        if (bits is not null && LoraRows.Serves(x2, a))
        {
            // ∂L/∂A and ∂L/∂x's LoRA term by row blocks, the mask replayed from its bits.
            var gradA = needs[2] ? zeros_like(a) : null; // (r, in)
            var gx = needs[0] ? g.matmul(w) : null; // (N, in)
            LoraRows.Backward(x2, a, gu, bits, p, gradA, gx);
            grads[2] = gradA!;
            if (gx is not null) grads[0] = gx.view(x.shape); // (…, in)
            gradOutput.Dispose();
            return GradientHandoff.Return(grads);
        }
        // With d = dropout(x) replayed from the recorded mask (x itself without dropout), by row blocks:
        // ∂L/∂A = guᵀ d, ∂L/∂x = g W + dropout(gu A) (same mask and scale).
        var buffer = key is { } k ? new DropBuffer(x2, p, k, bits, record: false) : null;
        if (needs[2] && buffer is null) grads[2] = gu.t().matmul(x2); // (r, in)
        else if (needs[2] && buffer is not null)
        {
            var gradA = zeros_like(a); // (r, in)
            for (long r0 = 0; r0 < n; r0 += buffer.Rows)
            {
                using var block = NewDisposeScope();
                long len = Math.Min(buffer.Rows, n - r0);
                gradA.addmm_(gu.narrow(0, r0, len).t(), buffer.Dropped(x2, r0, len), beta: 1f, alpha: 1f);
            }
            grads[2] = gradA;
        }
        if (needs[0])
        {
            // g W first, then the masked LoRA term added block by block. (Writing dropout(gu A) first and letting the GEMM
            // accumulate onto it, as forward does, saved a pass but raised peak RSS at the medium shape by 100–300 MB:
            // resident memory grew through every backward.)
            var gx = g.matmul(w); // (N, in)
            if (buffer is null) gx.addmm_(gu, a, beta: 1f, alpha: 1f); // += gu A
            else
            {
                for (long r0 = 0; r0 < n; r0 += buffer.Rows)
                {
                    using var block = NewDisposeScope();
                    long len = Math.Min(buffer.Rows, n - r0);
                    var back = gu.narrow(0, r0, len).matmul(a); // (R, in)
                    gx.narrow(0, r0, len).add_(buffer.Dropped(back, r0), Scalars.One);
                }
            }
            grads[0] = gx.view(x.shape); // (…, in)
        }
        gradOutput.Dispose();
        return GradientHandoff.Return(grads);
    }

    /// <summary>
    /// A row block (256 Ki entries) that receives dropout(rows of a tensor), one per thread and dtype and reused by every
    /// call, because a fresh 1 MB buffer per call, allocated between saved activations, leaves holes in glibc's heap that
    /// raise peak RSS. float32 and bfloat16 rows are masked in their own dtype; others are computed in float32 and cast back.
    /// With a mask record, the forward (<c>record</c>) hashes and writes the bits and backward replays them; without one,
    /// every call hashes.
    /// </summary>
    private sealed class DropBuffer
    {
        private const long Elements = 256L << 10;
        [ThreadStatic] private static Tensor? sharedFloat;
        [ThreadStatic] private static Tensor? sharedBf16;
        private readonly long width;
        private readonly double p;
        private readonly ulong key;
        private readonly Tensor? bits;
        private readonly bool record;

        public DropBuffer(Tensor x2, double p, ulong key, Tensor? bits, bool record)
        {
            (this.p, this.key, this.bits, this.record) = (p, key, bits, record);
            width = x2.shape[1];
            Rows = Math.Min(x2.shape[0], Math.Max(1, Elements / width));
        }

        public long Rows { get; }

        /// <summary>dropout(x2[r0 : r0 + len]) in x2's dtype; valid until the next call on this thread.</summary>
        public Tensor Dropped(Tensor x, long r0, long len) => Dropped(x.narrow(0, r0, len), r0);

        /// <summary>dropout(rows) for rows that sit at row <paramref name="r0"/> of the node's input; valid until the next call.</summary>
        public Tensor Dropped(Tensor rows, long r0)
        {
            long len = rows.shape[0];
            var dtype = rows.dtype == ScalarType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32; // what the mask loops take
            ref var shared = ref dtype == ScalarType.BFloat16 ? ref sharedBf16 : ref sharedFloat;
            var target = Block(ref shared, dtype).narrow(0, 0, len); // (R, in)
            var source = rows.dtype == dtype ? rows.contiguous() : target.copy_(rows);
            var blockBits = bits?.narrow(0, r0, len); // (R, ⌈in/8⌉)
            if (blockBits is not null && !record) DropoutMask.Replay(source, target, blockBits, p);
            else DropoutMask.Apply(source, target, r0, p, key, blockBits);
            return rows.dtype == dtype ? target : target.to_type(rows.dtype);
        }

        // This thread's buffer of the dtype, grown to hold Rows × width entries: (Rows, in).
        private Tensor Block(ref Tensor? shared, ScalarType dtype)
        {
            if (shared is null || shared.numel() < Math.Max(Elements, width))
            {
                shared?.Dispose();
                shared = empty(Math.Max(Elements, width), dtype: dtype).DetachFromDisposeScope();
            }
            return shared.narrow(0, 0, Rows * width).view(Rows, width);
        }
    }
}
