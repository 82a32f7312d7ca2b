using System.Globalization;
using System.Text;
using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Training;
using static TorchSharp.torch;

namespace LoraLab.Analysis;

/// <summary>
/// Spectrum analysis of a finetune: for every layer and projection, the singular values of ΔW = W_finetuned − W_base
/// (or s·B·A for a LoRA adapter, from its factors), the rank needed to explain the variance threshold, and the same for
/// the base matrix and for a random Gaussian matrix of the same shape.
/// </summary>
public sealed class SpectrumAnalysis
{
    public SpectrumAnalysis(double threshold = 0.9, long seed = 0)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new LoraLabException($"variance threshold must be in (0, 1], got {threshold}.");
        Threshold = threshold;
        Seed = seed;
    }

    public double Threshold { get; }

    /// <summary>Where the SVDs run (<c>--device</c>); weights are read on the CPU and moved there per matrix.</summary>
    public Device? Device { get; init; }

    public long Seed { get; }

    /// <summary>ΔW between two Hugging Face model directories of the same architecture.</summary>
    public IReadOnlyList<ModuleSpectrum> CompareModels(string baseDir, string finetunedDir)
    {
        using var baseW = NamedWeights.Open(RequireDir(baseDir));
        using var ftW = NamedWeights.Open(RequireDir(finetunedDir));
        return Compare(baseW, ftW);
    }

    /// <summary>ΔW = s·B·A of a PEFT adapter, computed from its factors; the base supplies W and the shapes.</summary>
    public IReadOnlyList<ModuleSpectrum> AnalyseAdapter(string baseDir, string adapterDir)
    {
        var (config, _) = PeftAdapter.ReadConfig(adapterDir);
        using var baseW = NamedWeights.Open(RequireDir(baseDir));
        using var adapter = NamedWeights.OpenRenamed(Path.Combine(adapterDir, PeftAdapter.WeightsFile), PeftAdapter.ModelKey);
        return Factors(baseW, adapter, config);
    }

    /// <summary>
    /// ΔW of whatever <paramref name="source"/> names against its base: a LoRA checkpoint or adapter from its factors,
    /// a full-finetuning checkpoint as W_checkpoint − W_base.
    /// </summary>
    public IReadOnlyList<ModuleSpectrum> Analyse(ModelSource source)
    {
        using var own = source.OpenOwnWeights()
            ?? throw new LoraLabException($"{source.Path}: a base model has no weight change to analyse; give a finetuned model, a checkpoint or an adapter.");
        using var baseW = source.OpenBaseWeights();
        return source.Lora is { } lora ? Factors(baseW, own, lora) : Compare(baseW, own);
    }

    /// <summary>ΔW = W_finetuned − W_base for every layer × projection.</summary>
    public IReadOnlyList<ModuleSpectrum> Compare(NamedWeights baseW, NamedWeights ftW)
    {
        var results = new List<ModuleSpectrum>();
        foreach (var (layer, prefix, module) in Enumerate(baseW))
        {
            string key = $"model.layers.{layer}.{prefix}.{module}.weight";
            if (!ftW.Contains(key)) throw new LoraLabException($"{ftW.Path}: tensor '{key}' is missing; both models must have the same architecture.");
            using var scope = NewDisposeScope();
            var w = baseW.Read(key, ScalarType.Float64);
            var ft = ftW.Read(key, ScalarType.Float64);
            if (!ft.shape.SequenceEqual(w.shape)) throw new LoraLabException($"{ftW.Path}: tensor '{key}' has another shape than in {baseW.Path}.");
            var delta = ft - w; // (out, in)
            results.Add(Summarise(layer, module, key, baseW, w, Spectrum.SingularValues(delta, Device)));
        }
        return results;
    }

    /// <summary>ΔW = s·B·A from adapter factors under model keys ("{module}.lora_A.weight": (r, in), "lora_B": (out, r)).</summary>
    public IReadOnlyList<ModuleSpectrum> Factors(NamedWeights baseW, NamedWeights adapter, LoraConfig config)
    {
        var results = new List<ModuleSpectrum>();
        foreach (var (layer, prefix, module) in Enumerate(baseW))
        {
            if (!config.Targets(module)) continue;
            string path = $"model.layers.{layer}.{prefix}.{module}";
            foreach (var part in new[] { "lora_A", "lora_B" })
                if (!adapter.Contains($"{path}.{part}.weight"))
                    throw new LoraLabException($"{adapter.Path}: no {part} tensor for '{path}' although the adapter's config targets {module}.");
            using var scope = NewDisposeScope();
            var a = adapter.Read(path + ".lora_A.weight", ScalarType.Float64); // (r, in)
            var b = adapter.Read(path + ".lora_B.weight", ScalarType.Float64); // (out, r)
            var w = baseW.Read(path + ".weight", ScalarType.Float64);
            results.Add(Summarise(layer, module, path + ".weight", baseW, w, Spectrum.LowRankSingularValues(b, a, config.Scaling, Device)));
        }
        return results;
    }

    // the base's singular values are computed once per (base, key): a run's checkpoints share one base
    private readonly Dictionary<(string, string), double[]> baseSingularValues = new();

    private ModuleSpectrum Summarise(int layer, string module, string key, NamedWeights baseW, Tensor w, double[] deltaSv)
    {
        long rows = w.shape[0], cols = w.shape[1];
        if (!baseSingularValues.TryGetValue((baseW.Path, key), out var baseSv))
            baseSingularValues[(baseW.Path, key)] = baseSv = Spectrum.SingularValues(w, Device);
        double fro = Math.Sqrt(deltaSv.Sum(s => s * s));
        return new ModuleSpectrum
        {
            Layer = layer, Module = module, Rows = rows, Cols = cols,
            DeltaRank = Spectrum.RankForVariance(deltaSv, Threshold), BaseRank = Spectrum.RankForVariance(baseSv, Threshold),
            RandomRank = RandomRank(rows, cols), MarchenkoPasturRank = MarchenkoPastur.ExpectedRank(rows, cols, Threshold),
            DeltaFrobeniusNorm = fro, DeltaSingularValues = deltaSv, BaseSingularValues = baseSv,
        };
    }

    private readonly Dictionary<(long, long), int> randomRanks = new();

    private int RandomRank(long rows, long cols)
    {
        if (!randomRanks.TryGetValue((rows, cols), out int r))
            randomRanks[(rows, cols)] = r = Spectrum.RandomMatrixRank(rows, cols, Threshold, Seed);
        return r;
    }

    /// <summary>Every layer × projection of a Llama in <paramref name="weights"/>: layers counted while layer i's q_proj exists.</summary>
    internal static IEnumerable<(int Layer, string Prefix, string Module)> Enumerate(NamedWeights weights)
    {
        for (int layer = 0; weights.Contains($"model.layers.{layer}.self_attn.q_proj.weight"); layer++)
            foreach (var (prefix, module) in LlamaProjections.All.Select(p => (LlamaProjections.Parent(p), p)))
                yield return (layer, prefix, module);
    }

    private static string RequireDir(string dir) =>
        Directory.Exists(dir) ? dir : throw new LoraLabException($"{dir}: model directory not found.");

    /// <summary>Writes spectrum.csv (one row per layer × module) and spectrum.json (with all singular values).</summary>
    public static void Write(IReadOnlyList<ModuleSpectrum> results, string outDir, double threshold)
    {
        Directory.CreateDirectory(outDir);
        var csv = new StringBuilder("layer,module,rows,cols,delta_rank,base_rank,random_rank,marchenko_pastur_rank,delta_frobenius_norm\n");
        foreach (var r in results)
            csv.Append(string.Create(CultureInfo.InvariantCulture,
                $"{r.Layer},{r.Module},{r.Rows},{r.Cols},{r.DeltaRank},{r.BaseRank},{r.RandomRank},{r.MarchenkoPasturRank},{r.DeltaFrobeniusNorm:R}\n"));
        AtomicFile.WriteAllText(Path.Combine(outDir, "spectrum.csv"), csv.ToString());
        var json = JsonSerializer.Serialize(new { variance_threshold = threshold,
            modules = results.Select(r => r.FileFields(withBaseSingularValues: true)) }, JsonFormats.SnakeCase);
        AtomicFile.WriteAllText(Path.Combine(outDir, "spectrum.json"), json);
    }
}
