using LoraLab.Analysis;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using static TorchSharp.torch;

namespace LoraLab.Tests.Analysis;

/// <summary>Intruder dimensions of a saved adapter: <see cref="IntruderDimensions.Analyse"/>, its cache and <c>analyze intruders</c>.</summary>
public class IntruderAnalysisTests
{
    // A LoRA model on attention and down_proj with large random B (ΔW = s·B·A far from zero), saved as its base, its merged
    // model and a PEFT adapter whose config names the base by absolute path.
    private static void SaveAdapterAndMerged(TempDir dir)
    {
        manual_seed(21);
        var config = TinyLlama.Config();
        using var model = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(3, new[] { "attention", "down_proj" }));
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(model)) layer.LoraB.normal_(0, 0.5);
        using (var plain = new LlamaForCausalLM(config))
        {
            using (no_grad())
                foreach (var (name, p) in plain.state_dict()) p.copy_(model.state_dict()[name]);
            LlamaCheckpoint.Save(plain, dir.File("base"));
        }
        LoraModel.SaveMerged(model, dir.File("merged"));
        PeftAdapter.Save(model, dir.File("adapter"), dir.File("base"));
    }

    private static string Prefix(string module) => module is "q_proj" or "k_proj" or "v_proj" or "o_proj" ? "self_attn" : "mlp";

    [Fact]
    public void AnAdapterCountsAsItsMergedWeightsAndACachedBaseGivesTheSameCounts()
    {
        using var dir = new TempDir();
        SaveAdapterAndMerged(dir);
        var source = ModelSource.Resolve(dir.File("adapter"));
        var counted = IntruderDimensions.Analyse(source, IntruderDimensions.DefaultK, IntruderDimensions.DefaultEpsilon);
        Assert.Equal(2 * 5, counted.Count); // two layers, five adapted projections each
        Assert.Contains(counted, c => c.Intruders > 0);

        // the same counts from the merged model's dense weights against the base's
        using (var baseW = NamedWeights.Open(dir.File("base")))
        using (var merged = NamedWeights.Open(dir.File("merged")))
        {
            foreach (var (layer, module, n) in counted)
            {
                string key = $"model.layers.{layer}.{Prefix(module)}.{module}.weight";
                using var w0 = baseW.Read(key, ScalarType.Float64);
                using var w1 = merged.Read(key, ScalarType.Float64);
                Assert.Equal(IntruderDimensions.Count(w0, w1, IntruderDimensions.DefaultK, IntruderDimensions.DefaultEpsilon), n);
            }
        }

        using var cache = new BaseDirectionCache();
        Assert.Equal(counted, IntruderDimensions.Analyse(source, IntruderDimensions.DefaultK, IntruderDimensions.DefaultEpsilon, cache));
        Assert.Equal(10, cache.Count);
        Assert.Equal(counted, IntruderDimensions.Analyse(source, IntruderDimensions.DefaultK, IntruderDimensions.DefaultEpsilon, cache));
        Assert.Equal(10, cache.Count); // the second checkpoint of the same base reuses every entry
    }

    [Fact]
    public void TheCommandWritesOneCsvRowPerAdaptedProjection()
    {
        using var dir = new TempDir();
        SaveAdapterAndMerged(dir);
        var run = CliRun.Run("analyze", "intruders", "--model", dir.File("adapter"), "--out", dir.File("intruders.csv"));
        Assert.True(run.ExitCode == 0, run.StdErr);
        var lines = File.ReadAllLines(dir.File("intruders.csv"));
        Assert.Equal("step,checkpoint,layer,module,intruders", lines[0]);
        Assert.Equal(1 + 10, lines.Length);
        var total = lines.Skip(1).Sum(l => int.Parse(l.Split(',')[4]));
        Assert.Contains($"adapter{new string(' ', 20 - "adapter".Length)}  {total}", run.StdOut);
    }
}
