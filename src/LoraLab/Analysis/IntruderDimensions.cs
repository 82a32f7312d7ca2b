using LoraLab.Kernels;
using LoraLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Analysis;

/// <summary>
/// Intruder dimensions (Shuttleworth, Andreas, Torralba, Sharma, "LoRA vs Full Fine-tuning: An Illusion of Equivalence",
/// NeurIPS 2025, arXiv 2410.21228): a left singular vector y_j among the top k of the finetuned weight is an intruder when
/// max_i |cos(y_j, x_i)| &lt; ε over the left singular vectors x_i of the base weight. The defaults are the authors' code's:
/// k = 10 (<c>find_number_of_intruder_dimensions(…, k=10)</c>) and ε = 0.5 (its <c>--intruder_dimension_threshold</c>). Singular
/// vectors of (numerically) zero singular values, of either matrix, span no direction of it and are left out.
/// </summary>
public static class IntruderDimensions
{
    public const int DefaultK = 10;
    public const double DefaultEpsilon = 0.5;

    /// <summary>How many of the top <paramref name="k"/> left singular vectors of <paramref name="finetuned"/> are intruders.</summary>
    public static int Count(Tensor baseWeight, Tensor finetuned, int k, double epsilon)
    {
        using var scope = NewDisposeScope();
        return CountAgainst(BaseDirections(baseWeight), finetuned, k, epsilon);
    }

    /// <summary>
    /// The base weight's left singular vectors of non-zero singular values, float64 (out, r'): what a finetuned weight's
    /// top singular vectors are compared with. Computed once, it serves every checkpoint of a run.
    /// </summary>
    public static Tensor BaseDirections(Tensor baseWeight)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (u0, s0, _) = linalg.svd(baseWeight.to_type(ScalarType.Float64), fullMatrices: false); // (out, r), (r)
        return u0.index_select(1, nonzero(NonNull(s0, baseWeight)).flatten()).MoveToOuterDisposeScope(); // (out, r')
    }

    /// <summary>How many of the top <paramref name="k"/> left singular vectors of <paramref name="finetuned"/> are intruders
    /// against <paramref name="baseDirections"/> (from <see cref="BaseDirections"/>).</summary>
    public static int CountAgainst(Tensor baseDirections, Tensor finetuned, int k, double epsilon)
    {
        if (k < 1) throw new LoraLabException($"--k must be ≥ 1, got {k}");
        if (!(epsilon > 0 && epsilon <= 1)) throw new LoraLabException($"--epsilon must be in (0, 1], got {epsilon}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (u1, s1, _) = linalg.svd(finetuned.to_type(ScalarType.Float64), fullMatrices: false); // (out, r)
        long top = Math.Min(k, NonNull(s1, finetuned).sum().item<long>()); // only directions W_ft has
        var cos = matmul(u1.narrow(1, 0, top).t(), baseDirections).abs(); // (top, r') unit vectors: cosine = |dot|
        var best = cos.max(1).values; // (top)
        using Scalar threshold = epsilon.ToScalar();
        return (int)best.lt(threshold).sum().item<long>();
    }

    /// <summary>Which singular values <paramref name="s"/> of <paramref name="w"/> are above its null scale times the largest.</summary>
    private static Tensor NonNull(Tensor s, Tensor w)
    {
        using Scalar scale = NullScale(w).ToScalar();
        return s > s.max().mul(scale);
    }

    // Singular values below σ_max · max(out, in) · 1e-12 are numerically zero.
    private static double NullScale(Tensor w) => Math.Max(w.shape[0], w.shape[1]) * 1e-12;

    /// <summary>
    /// Per layer and projection of <paramref name="source"/> (a finetuned model, checkpoint or adapter): (layer, module,
    /// intruders). With <paramref name="cache"/>, the base and its singular directions are taken from it (and kept there for
    /// the next checkpoint of the same base); without, they are read and computed for this call alone.
    /// </summary>
    public static IReadOnlyList<(int Layer, string Module, int Intruders)> Analyse(ModelSource source, int k, double epsilon,
        BaseDirectionCache? cache = null)
    {
        using var ownCache = cache is null ? new BaseDirectionCache() : null;
        var baseDirections = cache ?? ownCache!;
        using var own = source.OpenOwnWeights()
            ?? throw new LoraLabException($"{source.Path}: a base model has no change to look for intruders in; give a finetuned model, " +
                "checkpoint or adapter.");
        var baseW = baseDirections.Base(source.Base.Path!);
        var results = new List<(int, string, int)>();
        foreach (var (layer, prefix, module) in SpectrumAnalysis.Enumerate(baseW))
        {
            string path = $"model.layers.{layer}.{prefix}.{module}";
            var lora = source.Lora;
            if (lora is not null && !own.Contains(path + ".lora_A.weight")) continue; // not adapted
            using var scope = NewDisposeScope();
            using Scalar scaling = (lora?.Scaling ?? 0).ToScalar();
            var w1 = lora is null
                ? own.Read(path + ".weight", ScalarType.Float64)
                : baseW.Read(path + ".weight", ScalarType.Float64).add(matmul(own.Read(path + ".lora_B.weight", ScalarType.Float64), // (out, r)
                    own.Read(path + ".lora_A.weight", ScalarType.Float64)).mul_(scaling), Scalars.One); // (r, in) → (out, in): W + s·B·A
            results.Add((layer, module, CountAgainst(baseDirections.For(source.Base.Path!, path), w1, k, epsilon)));
        }
        return results;
    }
}
