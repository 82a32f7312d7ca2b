using static TorchSharp.torch;

namespace LoraLab.Autograd;

/// <summary>
/// Lifetime bookkeeping for tensors that a custom autograd function's backward hands to libtorch.
/// TorchSharp copies the returned handles into libtorch's gradient list as soon as backward returns, but the managed
/// wrappers would otherwise keep each gradient's storage alive until the .NET garbage collector finalises them.
/// Returned tensors are parked here and disposed at the next backward or forward of any of our functions, by which time
/// libtorch holds its own reference; grad-output wrappers (owned by us) are disposed at the end of each backward.
/// </summary>
internal static class GradientHandoff
{
    private static readonly object Gate = new();
    private static List<Tensor> pending = new();

    /// <summary>Takes <paramref name="grads"/> out of every dispose scope and parks them; returns the same list for backward to return.</summary>
    public static List<Tensor> Return(List<Tensor> grads)
    {
        lock (Gate)
        {
            foreach (var g in grads)
            {
                if (g is null) continue;
                g.DetachFromDisposeScope();
                pending.Add(g);
            }
        }
        return grads;
    }

    /// <summary>Disposes what earlier backward calls returned (libtorch has copied those references by now).</summary>
    public static void Release()
    {
        List<Tensor> done;
        lock (Gate)
        {
            if (pending.Count == 0) return;
            done = pending;
            pending = new List<Tensor>();
        }
        foreach (var t in done) t.Dispose();
    }
}
