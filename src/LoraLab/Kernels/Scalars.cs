using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// libtorch Scalars the library passes where TorchSharp would otherwise make one on the fly. A Scalar made on the fly (an
/// implicit <c>double → Scalar</c>, or TorchSharp's default alpha of 1 in <c>x.add(y)</c>, <c>x + y</c> and <c>arange</c>'s
/// step) is unreferenced once its handle is read, so a collection on another thread can finalise it while libtorch still
/// reads it. These are rooted for the process; a value known only at the call is held in a <c>using</c> variable across
/// it. <c>ScalarLifetimeTests</c> checks the compiled library for the on-the-fly kinds.
/// </summary>
internal static class Scalars
{
    /// <summary>Integer 1: the alpha of <c>x.add(y, Scalars.One)</c> (integral, so it also serves integer tensors).</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>Integer 0.</summary>
    public static readonly Scalar Zero = 0L.ToScalar();

    /// <summary>The int64 positions start, start + 1, …, stop − 1 on <paramref name="device"/>.</summary>
    public static Tensor Arange(long start, long stop, Device device)
    {
        using Scalar first = start.ToScalar(), end = stop.ToScalar();
        return arange(first, end, One, ScalarType.Int64, device);
    }
}
