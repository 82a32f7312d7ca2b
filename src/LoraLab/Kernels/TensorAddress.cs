using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>Raw addresses of CPU tensors, for the loops that read and write libtorch's buffers in place.</summary>
internal static unsafe class TensorAddress
{
    /// <summary>
    /// The address of a non-empty CPU tensor's first element, whatever its strides. libtorch buffers do not move, so it
    /// stays valid while the tensor lives.
    /// </summary>
    public static nint Of(Tensor x)
    {
        using var scope = NewDisposeScope();
        var first = x;
        for (int i = 0; i < x.dim(); i++) first = first.narrow(i, 0, 1); // (1, …, 1): a span over the storage from that element
        fixed (byte* p = first.bytes) return (nint)p;
    }
}
