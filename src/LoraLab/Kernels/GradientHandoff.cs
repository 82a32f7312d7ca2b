using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Lifetime bookkeeping for tensors that a custom autograd function hands to libtorch: the gradients its backward
/// returns, and the output and saved tensors its forward makes. TorchSharp takes its own references to them when the
/// call returns (it wraps forward's output in a new tensor and commits the saved ones), but our managed wrappers would
/// otherwise keep each one's storage alive until the .NET garbage collector finalises them: a forward output that the
/// model drops at once (a projection's output consumed by the next operation) would stay resident until the step's
/// collection. Handed-over tensors are parked here and disposed at the next backward or forward of any of our functions,
/// by which time libtorch holds its own reference; grad-output wrappers (owned by us) are disposed at the end of each backward.
/// </summary>
internal static class GradientHandoff
{
    // Per thread: CPU backward runs on the thread that called backward(), so a thread only ever releases its own
    // tensors (which also keeps TorchSharp's per-thread live-tensor counts balanced).
    [ThreadStatic] private static List<Tensor>? pending;

    /// <summary>Takes <paramref name="grads"/> out of every dispose scope and parks them; returns the same list for backward to return.</summary>
    public static List<Tensor> Return(List<Tensor> grads)
    {
        pending ??= new List<Tensor>();
        foreach (var g in grads)
        {
            if (g is null) continue;
            g.DetachFromDisposeScope();
            pending.Add(g);
        }
        return grads;
    }

    /// <summary>
    /// Takes tensors that a forward returns or saves out of every dispose scope and parks them; returns the first (the
    /// forward's output, for its return statement). Null entries are skipped.
    /// </summary>
    public static Tensor HandOver(Tensor output, params Tensor?[] saved)
    {
        pending ??= new List<Tensor>();
        foreach (var t in saved.Prepend(output))
        {
            if (t is null) continue;
            t.DetachFromDisposeScope();
            pending.Add(t);
        }
        return output;
    }

    /// <summary>Disposes what earlier calls handed over (libtorch has taken its own references by now).</summary>
    public static void Release()
    {
        if (pending is null || pending.Count == 0) return;
        var done = pending;
        pending = new List<Tensor>();
        foreach (var t in done) t.Dispose();
    }
}
