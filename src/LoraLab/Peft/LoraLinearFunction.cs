using LoraLab.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// y = x Wᵀ + s · (dropout(x) Aᵀ) Bᵀ as one autograd node that keeps for backward only x (usually shared with its sibling
/// projections, so q/k/v or gate/up keep one copy between them), the r-wide product u = dropout(x) Aᵀ, and the dropout
/// mask packed eight entries to a byte. Autograd's own graph would keep, per module, the dropped copy of x and a
/// float mask — 8 bytes per input element instead of 1/8. Same values and gradients as the composed operations
/// (PEFT's LoRA forward); the mask is Bernoulli(1 − p) per entry, drawn by <see cref="DropoutMask.Draw(long, long, double)"/>
/// from a seed taken from the global generator.
/// Arguments: x (…, in), W (out, in), A (r, in), B (out, r), s (double), p (double, dropout).
/// </summary>
internal sealed class LoraLinearFunction : autograd.SingleTensorFunction<LoraLinearFunction>
{
    public override string Name => nameof(LoraLinearFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        var (x, w, a, b) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        double s = (double)vars[4], p = (double)vars[5];
        using var scope = NewDisposeScope();
        var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
        var y = x2.matmul(w.t()); // (N, out)
        Tensor? packed = null;
        Tensor u;
        if (p > 0)
        {
            // Rows a block at a time so the dropout temporaries stay small (whole-size ones fragment the heap); the
            // long-lived outputs are allocated first.
            long n = x2.shape[0], width = x2.shape[1];
            packed = DropoutMask.Draw(n, width, p); // (N, ⌈in/8⌉)
            u = empty(n, a.shape[0], dtype: x2.dtype); // (N, r)
            long rows = RowsPerBlock(width);
            for (long r0 = 0; r0 < n; r0 += rows)
            {
                using var block = NewDisposeScope();
                long len = Math.Min(rows, n - r0);
                var keep = DropoutMask.UnpackRows(packed.narrow(0, r0, len), width); // (R, in) bool
                u.narrow(0, r0, len).copy_((x2.narrow(0, r0, len) * keep).matmul(a.t())); // (R, r)
            }
            u.div_(1 - p);
        }
        else u = x2.matmul(a.t()); // (N, r)
        y.addmm_(u, b.t(), beta: 1f, alpha: (float)s);
        // Saved tensors must outlive this scope: TorchSharp commits them once forward has returned.
        ctx.save_for_backward(new List<Tensor> { x, w, a, b, u.MoveToOuterDisposeScope(), packed?.MoveToOuterDisposeScope()! });
        ctx.save_data("s", s);
        ctx.save_data("p", p);
        ctx.save_data("needs", new[] { x.requires_grad, w.requires_grad, a.requires_grad, b.requires_grad });
        ctx.set_materialize_grads(false);
        var shape = x.shape.ToArray();
        shape[^1] = w.shape[0];
        return y.view(shape).MoveToOuterDisposeScope(); // (…, out)
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var grads = new List<Tensor> { null!, null!, null!, null!, null!, null! };
        if (gradOutput is null || gradOutput.IsInvalid) return grads;
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var (x, w, a, b, u, packed) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        double s = (double)ctx.get_data("s"), p = (double)ctx.get_data("p");
        var needs = (bool[])ctx.get_data("needs");
        var g = gradOutput.reshape(-1, w.shape[0]); // (N, out)
        var x2 = x.reshape(-1, x.shape[^1]); // (N, in)
        double scale = packed is null ? 1.0 : 1.0 / (1 - p); // inverted dropout: kept entries are scaled by 1/(1−p)
        var gu = g.matmul(b).mul_(s); // (N, r): ∂L/∂u
        if (needs[3]) grads[3] = g.t().matmul(u).mul_(s); // (out, r)
        if (needs[1]) grads[1] = g.t().matmul(x2); // (out, in)
        Tensor? gx = needs[0] ? g.matmul(w) : null; // (N, in)
        if (packed is null)
        {
            if (needs[2]) grads[2] = gu.t().matmul(x2); // (r, in)
            gx?.add_(gu.matmul(a)); // ∂L/∂dropout(x) = ∂L/∂x through the LoRA branch
        }
        else
        {
            var gradA = needs[2] ? zeros_like(a) : null; // (r, in)
            long n = x2.shape[0], rows = RowsPerBlock(x2.shape[1]);
            for (long r0 = 0; r0 < n; r0 += rows)
            {
                using var block = NewDisposeScope();
                long len = Math.Min(rows, n - r0);
                var keep = DropoutMask.UnpackRows(packed.narrow(0, r0, len), x2.shape[1]); // (R, in) bool
                var gub = gu.narrow(0, r0, len); // (R, r)
                gradA?.addmm_(gub.t(), x2.narrow(0, r0, len) * keep, beta: 1f, alpha: (float)scale);
                gx?.narrow(0, r0, len).add_(gub.matmul(a).mul_(keep), alpha: scale);
            }
            grads[2] = gradA!;
        }
        if (gx is not null) grads[0] = gx.view(x.shape); // (…, in)
        gradOutput.Dispose();
        return GradientHandoff.Return(grads);
    }

    /// <summary>Rows per dropout block: about 256 K elements (a 1 MB float temporary).</summary>
    private static long RowsPerBlock(long width) => Math.Max(1, (256L << 10) / width);
}
