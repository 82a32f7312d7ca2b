using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The tensors a custom autograd node keeps for its backward, held as detached aliases (same storage, no graph) in the
/// node's saved data instead of TorchSharp's saved-variable list, and released as soon as that node's backward has run.
/// A TorchSharp node frees its saved variables only when the whole graph is freed, so every activation it keeps would stay
/// resident through the rest of backward, while libtorch's own nodes release theirs one by one. Each forward is followed
/// by at most one backward (libtorch's saved-variable version checks are not made; a second backward through the same
/// graph, retain_graph, is refused with an error).
/// </summary>
internal sealed class SavedTensors
{
    private Tensor?[]? tensors;

    public SavedTensors(params Tensor?[] keep) =>
        tensors = keep.Select(t => t?.detach().DetachFromDisposeScope()).ToArray();

    /// <summary>Hands the tensors to the backward that calls this, which disposes them (<see cref="Release"/>) when done.</summary>
    public Tensor?[] Take()
    {
        var taken = tensors ?? throw new InvalidOperationException(
            "a LoraLab autograd node was asked for a second backward (retain_graph): its saved tensors are released after the first. " +
            "Run one backward per forward, or select the reference kernels (LORALAB_KERNELS=reference).");
        tensors = null;
        return taken;
    }

    /// <summary>Disposes what <see cref="Take"/> handed out.</summary>
    public static void Release(Tensor?[] taken)
    {
        foreach (var t in taken) t?.Dispose();
    }
}
