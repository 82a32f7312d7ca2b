using LoraLab.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraLab.Peft;

/// <summary>
/// A linear layer with a low-rank adapter, as Hugging Face PEFT: y = W x + s · B A dropout(x).
/// The frozen base weight keeps the plain key ("…q_proj.weight"); lora_A (r × in) starts kaiming-uniform(a = √5),
/// lora_B (out × r) starts at zero, so the adapter begins as the identity change.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names follow the Hugging Face / PEFT state-dict keys
    private readonly Parameter weight; // (out, in), frozen
    private readonly Linear lora_A; // weight (r, in)
    private readonly Linear lora_B; // weight (out, r)
#pragma warning restore IDE1006
    private readonly double dropout;

    public LoraLinear(long inFeatures, long outFeatures, LoraConfig config, ScalarType dtype) : base(nameof(LoraLinear))
    {
        weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype), requires_grad: false);
        nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        // nn.Linear's default initialisation is kaiming_uniform(a = √5), PEFT's choice for A.
        lora_A = nn.Linear(inFeatures, config.R, hasBias: false, dtype: dtype);
        lora_B = nn.Linear(config.R, outFeatures, hasBias: false, dtype: dtype);
        nn.init.zeros_(lora_B.weight!);
        dropout = config.Dropout;
        Config = config;
        RegisterComponents();
    }

    /// <summary>The LoRA settings this layer was built with.</summary>
    public LoraConfig Config { get; }

    public double Scaling => Config.Scaling;

    public int Rank => Config.R;

    /// <summary>True when s·B·A has been added into the base weight (the LoRA branch is then skipped).</summary>
    public bool Merged { get; private set; }

    public Parameter Weight => weight;

    public Parameter LoraA => lora_A.weight!;

    public Parameter LoraB => lora_B.weight!;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (Merged) return nn.functional.linear(Autocast.Cast(x), Autocast.Cast(weight)).MoveToOuterDisposeScope(); // (…, out)
        double p = training ? dropout : 0.0;
        return LoraLinearKernel.Forward(x, weight, LoraA, LoraB, Scaling, p).MoveToOuterDisposeScope(); // (…, out)
    }

    /// <summary>ΔW = s · B A, shape (out, in), in float32.</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using Scalar s = Scaling.ToScalar();
        var delta = matmul(LoraB.to_type(ScalarType.Float32), LoraA.to_type(ScalarType.Float32)).mul_(s); // (out, in)
        return delta.MoveToOuterDisposeScope();
    }

    /// <summary>W ← W + s·B·A (idempotent).</summary>
    public void Merge()
    {
        if (Merged) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        weight.add_(DeltaWeight().to_type(weight.dtype), Scalars.One);
        Merged = true;
    }

    /// <summary>W ← W − s·B·A (undoes <see cref="Merge"/>; exact up to rounding).</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        weight.sub_(DeltaWeight().to_type(weight.dtype));
        Merged = false;
    }
}
