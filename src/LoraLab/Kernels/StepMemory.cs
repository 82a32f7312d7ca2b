namespace LoraLab.Kernels;

/// <summary>
/// Native memory held only by unreachable managed wrappers. TorchSharp's autograd bridge and some operations create
/// tensor wrappers outside any dispose scope (the wrappers of a custom function's inputs, saved tensors, hooks); the
/// native storage behind them is freed only when the .NET garbage collector finalises them, and the collector sees a
/// few bytes where libtorch holds megabytes. Training loops (the trainer, the benchmark) call
/// <see cref="ReleaseAfterStep"/> once per optimizer step so that memory returns at a step boundary instead of piling up.
/// </summary>
public static class StepMemory
{
    /// <summary>A gen-0 collection: the step's short-lived wrappers are all young, so this is cheap (well under 1 ms).</summary>
    public static void ReleaseAfterStep() => GC.Collect(0);
}
