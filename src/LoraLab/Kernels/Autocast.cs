using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Kernels;

/// <summary>
/// Mixed precision as PyTorch's autocast does it for linear layers (the <c>amp_bf16</c> precision): while a scope is
/// open on this thread, every linear/matmul of the model casts its input and weight to the scope's dtype (bfloat16) and
/// computes there, so its output and what it saves for backward are bfloat16; everything else keeps its dtype. The
/// weights themselves, their gradients (the cast's backward returns float32) and the optimizer state stay float32.
/// Norms compute in float32 (<c>LlamaRMSNorm</c>), the residual stream stays float32 (float32 + bfloat16 promotes),
/// and the loss takes float32 logits (<see cref="LinearCrossEntropy"/>).
/// </summary>
public static class Autocast
{
    [ThreadStatic] private static ScalarType? current;

    /// <summary>The dtype linears compute in on this thread, or null outside any scope.</summary>
    public static ScalarType? Current => current;

    /// <summary>Opens a scope (null: none, linears keep their dtypes) until the result is disposed.</summary>
    public static IDisposable Enter(ScalarType? dtype)
    {
        var previous = current;
        current = dtype;
        return new Restore(previous);
    }

    /// <summary>A floating tensor in the scope's dtype (a cast copy that autograd tracks), else the tensor itself.</summary>
    public static Tensor Cast(Tensor t) => current is { } d && t.dtype != d && t.is_floating_point() ? t.to_type(d) : t;

    /// <summary>Calls a projection: a plain <see cref="Linear"/> computes in the scope's dtype; other modules cast themselves.</summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> module, Tensor x)
    {
        if (current is null || module is not Linear linear) return module.call(x);
        using var scope = NewDisposeScope();
        var bias = linear.bias is null ? null : Cast(linear.bias);
        return nn.functional.linear(Cast(x), Cast(linear.weight!), bias).MoveToOuterDisposeScope();
    }

    private sealed class Restore(ScalarType? previous) : IDisposable
    {
        public void Dispose() => current = previous;
    }
}
