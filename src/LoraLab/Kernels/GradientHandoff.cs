using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Lifetime bookkeeping for tensors that a custom autograd function's backward hands to libtorch.
/// TorchSharp copies the returned handles into libtorch's gradient list as soon as backward returns, but the managed
/// wrappers would otherwise keep each gradient's storage alive until the .NET garbage collector finalises them.
/// Returned tensors are parked here and disposed at the next backward or forward of any of our functions, by which time
/// libtorch holds its own reference; grad-output wrappers (owned by us) are disposed at the end of each backward.
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

    /// <summary>Disposes what earlier backward calls returned (libtorch has copied those references by now).</summary>
    public static void Release()
    {
        if (pending is null || pending.Count == 0) return;
        var done = pending;
        pending = new List<Tensor>();
        foreach (var t in done) t.Dispose();
    }
}
