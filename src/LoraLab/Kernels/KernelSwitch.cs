using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// The one switch between LoraLab's fused CPU kernels and their references. Every custom kernel in this folder has a
/// reference written in plain TorchSharp operations (any device, libtorch's own autograd) with the same values and
/// gradients up to float rounding and, on the CPU, the same dropout masks (off the CPU <see cref="DropoutMask"/> draws
/// them). The fused kernel runs only on CPU tensors and only while the reference is not selected; off the CPU the
/// reference always runs.
/// <para>
/// Selected per process by <c>LORALAB_KERNELS=reference</c> (or <c>fused</c>, the default), or per thread by
/// <see cref="UseReference"/> (the tests that compare the two).
/// </para>
/// </summary>
public static class KernelSwitch
{
    public const string Variable = "LORALAB_KERNELS";

    [ThreadStatic] private static bool? threadReference;

    /// <summary>True when the references run on the CPU too.</summary>
    public static bool Reference => threadReference ?? ProcessReference.Value;

    private static readonly Lazy<bool> ProcessReference = new(() => Environment.GetEnvironmentVariable(Variable) switch
    {
        null or "" or "fused" => false,
        "reference" => true,
        var other => throw new LoraLabException($"{Variable}={other} is not a kernel choice: set it to 'fused' or 'reference', or unset it."),
    });

    /// <summary>Selects the references (or the fused kernels) on this thread until the result is disposed.</summary>
    public static IDisposable UseReference(bool reference = true)
    {
        var previous = threadReference;
        threadReference = reference;
        return new Restore(previous);
    }

    /// <summary>Whether the fused CPU kernel may run for a computation on <paramref name="tensor"/>'s device.</summary>
    internal static bool Fused(Tensor tensor) => !Reference && tensor.device_type == TorchSharp.DeviceType.CPU;

    private sealed class Restore(bool? previous) : IDisposable
    {
        public void Dispose() => threadReference = previous;
    }
}
