using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Σ cross-entropy(h Wᵀ, labels) over labels ≠ -100 as one autograd node that never holds the (N, V) logits whole:
/// it walks the tokens in chunks, and for each chunk computes the logits, their log-sum-exp, the loss and — when a
/// gradient will be needed — the gradient softmax − onehot, multiplied straight into ∂L/∂h (N, C) and ∂L/∂W (V, C)
/// (Liger-Kernel's fused linear cross-entropy, on the CPU).
/// Backward only scales those by the incoming gradient and returns them to autograd (libtorch's AccumulateGrad copies
/// ∂L/∂W once into a leaf's empty .grad, because TorchSharp's wrapper still references the returned tensor). Same FLOPs as logits + cross_entropy +
/// their backward, but the largest temporary is one chunk's logits instead of several (N, V) tensors.
/// Arguments: h (N, C), W (V, C), labels (N) int64, chunk (int, tokens per chunk), grad (bool: compute gradients).
/// </summary>
internal sealed class LinearCrossEntropyFunction : autograd.SingleTensorFunction<LinearCrossEntropyFunction>
{
    private const long IgnoreIndex = -100;

    /// <summary>
    /// exp's argument floor. Below ≈ −87 exp underflows float32, and MKL's vector exp (libtorch's exp_, which the
    /// softmax of dtypes other than float32 and bfloat16 calls) takes a slow path there (28× per chunk, measured with an
    /// untrained model's wide logits, σ ≈ 17). Flooring at −80 changes each such term by less
    /// than e^−80 ≈ 2e−35, while the row sum it joins is ≥ 1 (its max term is e^0): invisible in float32.
    /// </summary>
    private const double ExpFloor = -80;

    public override string Name => nameof(LinearCrossEntropyFunction);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        GradientHandoff.Release();
        var (h, w, labels) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
        int chunk = (int)vars[3];
        bool grad = (bool)vars[4];
        using var scope = NewDisposeScope();
        long n = h.shape[0];
        var loss = zeros(Array.Empty<long>(), ScalarType.Float32); // scalar
        var gradH = grad && h.requires_grad ? empty_like(h) : null; // (N, C)
        var gradW = grad && w.requires_grad ? zeros_like(w) : null; // (V, C)
        // Logits go to buffers allocated once per call and reused by every chunk: one of w's dtype that the GEMM writes and
        // the softmax numerators replace, and for dtypes SoftmaxRows does not take a float32 one for the softmax. Large
        // allocations per chunk make glibc map and fault in fresh pages now and then, which costs time and grows the heap.
        long rowsPerChunk = Math.Min(chunk, n);
        var buffer = empty(rowsPerChunk, w.shape[0], dtype: w.dtype); // (chunk, V)
        var wide = SoftmaxRows.Serves(w.dtype) ? null : empty(rowsPerChunk, w.shape[0], dtype: ScalarType.Float32); // (chunk, V)
        using Scalar floor = ExpFloor.ToScalar(), ignore = IgnoreIndex.ToScalar(), minusOne = (-1L).ToScalar(); // held across the calls (Scalars)
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            long len = Math.Min(chunk, n - start);
            var hc = h.narrow(0, start, len); // (n, C)
            var lc = labels.narrow(0, start, len); // (n)
            var valid = lc.ne(ignore); // (n)
            var index = lc.masked_fill(valid.logical_not(), Scalars.Zero).unsqueeze(1); // (n, 1): ignored rows point at class 0
            var logits = buffer.narrow(0, 0, len).addmm_(hc, w.t(), beta: 0f, alpha: 1f); // (n, V), into the buffer
            var (ed, max, sum, target) = Numerators(logits, index, wide, floor);
            var validF = valid.to_type(ScalarType.Float32).unsqueeze(1); // (n, 1)
            loss.add_(max.add(sum.log(), Scalars.One).sub_(target).mul_(validF).sum(), Scalars.One); // Σ log-sum-exp − target logit
            if (gradH is null && gradW is null) continue;
            // ∂/∂logits = valid · (e / sum − onehot(label)). The 1/sum row scale goes on the n×C side of each product
            // and the onehot part is a row gather / scatter, so the n×V chunk is touched only by the two GEMMs.
            var rowScale = (validF / sum).to_type(w.dtype); // (n, 1), zero on ignored rows
            var rows = index.squeeze(1); // (n)
            var validW = validF.to_type(w.dtype); // (n, 1)
            if (gradH is not null)
            {
                var gh = ed.matmul(w).mul_(rowScale); // (n, C): softmax part
                gh.sub_(w.index_select(0, rows).mul_(validW)); // − W[label]
                gradH.narrow(0, start, len).copy_(gh);
            }
            if (gradW is not null)
            {
                gradW.addmm_(ed.t(), hc * rowScale, beta: 1f, alpha: 1f); // (V, C): softmax part
                gradW.index_add_(0, rows, hc * validW, minusOne); // − h onto each label's row
            }
        }
        ctx.set_materialize_grads(false);
        ctx.save_data("grads", new PendingGradients(gradH?.DetachFromDisposeScope(), gradW?.DetachFromDisposeScope()));
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The softmax numerators e = exp(max(logit − max, floor)) over the chunk's logits (n, V), in place, in w's dtype (where
    /// the gradient GEMMs read them), with each row's max, Σ e (float32, from e before any rounding) and logit at its label,
    /// (n, 1) each: in <see cref="SoftmaxRows"/>' two sweeps per row, or for other dtypes as libtorch operations over the
    /// logits widened into <paramref name="wide"/>.
    /// </summary>
    private static (Tensor E, Tensor Max, Tensor Sum, Tensor Target) Numerators(Tensor logits, Tensor index, Tensor? wide, Scalar floor)
    {
        long n = logits.shape[0];
        if (wide is null)
        {
            var (max, sum, target) = (Float32(n), Float32(n), Float32(n)); // (n, 1) each
            SoftmaxRows.Exp(logits, index.squeeze(1), (float)ExpFloor, max, sum, target);
            return (logits, max, sum, target);
        }
        var x = wide.narrow(0, 0, n).copy_(logits); // (n, V) float32
        var gathered = x.gather(1, index); // (n, 1)
        var top = x.amax(new long[] { 1 }, keepdim: true); // (n, 1)
        var e = x.sub_(top).clamp_min_(floor).exp_(); // (n, V), in place
        return (logits.copy_(e), top, e.sum(1, keepdim: true), gathered);

        static Tensor Float32(long rows) => empty(rows, 1, dtype: ScalarType.Float32); // (rows, 1)
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        GradientHandoff.Release();
        var result = new List<Tensor> { null!, null!, null!, null!, null! };
        var pending = (PendingGradients)ctx.get_data("grads");
        var (gradH, gradW) = pending.Take();
        if (gradOutput is null || gradOutput.IsInvalid)
        {
            gradH?.Dispose();
            gradW?.Dispose();
            return result;
        }
        using var scope = NewDisposeScope();
        if (gradH is not null) result[0] = gradH.mul_(gradOutput.to_type(gradH.dtype));
        if (gradW is not null) result[1] = gradW.mul_(gradOutput.to_type(gradW.dtype));
        gradOutput.Dispose();
        return GradientHandoff.Return(result);
    }

    /// <summary>The gradients computed in forward, handed out once (backward takes them; nothing else keeps them).</summary>
    private sealed class PendingGradients(Tensor? gradH, Tensor? gradW)
    {
        private Tensor? h = gradH, w = gradW;

        public (Tensor? H, Tensor? W) Take()
        {
            var taken = (h, w);
            h = null;
            w = null;
            return taken;
        }
    }
}
