using System.Globalization;
using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Kernels;
using LoraLab.Peft;
using LoraLab.Tests.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using LoraLab.Training.Config;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

/// <summary>
/// Golden parity with PyTorch, in the spirit of llm.c's test_gpt2: Goldens/make_training_goldens.py (Debian's torch 1.13,
/// float64) trains a tiny Llama for 10 steps — full finetuning with torch.optim.AdamW and with DecoupledLionW, and LoRA
/// (r 4, α 8, all seven projections, nonzero B at the start) — with warmup + cosine, gradient accumulation 2 and norm
/// clipping that acts in some steps. These tests run the same steps through the real <see cref="Trainer"/> (config,
/// batching, padding, token-normalised accumulation, clipping, schedule, optimizer) from the same float32 weights and
/// batch, and demand per-step loss relative difference &lt; 1e-5 and final weights max |Δ| &lt; 1e-5, with the fused CPU
/// kernels and with their plain-TorchSharp references.
/// </summary>
[Collection(GlobalTorchRngCollection.Name)]
public class TrainingParityTests(ITestOutputHelper output)
{
    private const double LossTolerance = 1e-5;
    private const double WeightTolerance = 1e-5;

    private static string Goldens => Path.Combine(SharedFiles.RepoRoot, "tests", "LoraLab.Tests", "Training", "Goldens");

    [Theory]
    [InlineData("full_adamw", false)]
    [InlineData("full_lionw", false)]
    [InlineData("lora_adamw", false)]
    [InlineData("full_adamw", true)]
    [InlineData("full_lionw", true)]
    [InlineData("lora_adamw", true)]
    public void TenStepsMatchPyTorch(string name, bool referenceKernels)
    {
        using var kernels = KernelSwitch.UseReference(referenceKernels); // the fused CPU kernels and their references
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(Goldens, name + ".json")));
        var g = golden.RootElement;
        using var dir = new TempDir();
        var config = RunConfigLoader.Parse(Yaml(g, dir.File("run")), name + ".yaml", []);
        bool lora = g.GetProperty("method").GetString() == "lora";
        var losses = new List<double>();
        var options = new TrainerOptions
        {
            Tokenizer = new ByteTestTokenizer(),
            Console = null,
            TrainSource = GoldenSamples.Load(Path.Combine(Goldens, "batch.json")),
            ModelLoaded = lora ? m => PeftAdapter.LoadWeights(m, Path.Combine(Goldens, "lora_init")) : null,
            AfterStep = (t, _) => losses.Add(t.LastLoss!.Value),
        };
        using var trainer = new Trainer(config, options);
        trainer.Run();

        double[] expected = g.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected.Length, losses.Count);
        double lossDev = expected.Zip(losses, (e, a) => Math.Abs(a - e) / Math.Abs(e)).Max();
        double weightDev = MaxWeightDeviation(trainer, Path.Combine(Goldens, name + ".final.safetensors"), out int compared);
        var metrics = TinyRun.Metrics(trainer.RunDirectory).Where(r => r.TryGetProperty("grad_norm", out _)).ToList();
        double[] norms = g.GetProperty("grad_norms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double normDev = norms.Zip(metrics, (e, r) => Math.Abs(TinyRun.Num(r, "grad_norm") - e) / e).Max();
        double[] lrs = g.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double lrDev = lrs.Zip(metrics, (e, r) => Math.Abs(TinyRun.Num(r, "lr") - e)).Max();
        string kernel = referenceKernels ? "reference" : "fused";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} ({kernel} kernels): loss max rel {lossDev:E2}, "
            + $"final weights max |Δ| {weightDev:E2} over {compared} tensors, grad norm max rel {normDev:E2}, lr max |Δ| {lrDev:E2}"));

        bool[] clipped = g.GetProperty("clipped").EnumerateArray().Select(c => c.GetBoolean()).ToArray();
        Assert.True(clipped.Contains(true) && clipped.Contains(false), "the golden clips in some steps and not in others");
        Assert.True(lossDev < LossTolerance,
            $"{name}: per-step loss differs from PyTorch by {lossDev:E2} (relative): ours [{string.Join(", ", losses)}], "
            + $"PyTorch [{string.Join(", ", expected)}]");
        Assert.True(weightDev < WeightTolerance, $"{name}: final weights differ from PyTorch by {weightDev:E2}");
        Assert.True(normDev < 1e-4, $"{name}: gradient norms differ from PyTorch's clip_grad_norm_ by {normDev:E2} (relative)");
        Assert.True(lrDev < 1e-12, $"{name}: scheduled lr differs from Composer's cosine-with-warmup by {lrDev:E2}");
        Assert.True(expected[^1] < expected[0] - 0.5, "the golden run learns (so the comparison is not of a frozen model)");
    }

    /// <summary>The run config the golden's hyper-parameters stand for (LoraLab's keys for PyTorch's settings).</summary>
    private static string Yaml(JsonElement g, string runDir)
    {
        string Num(string key) => g.GetProperty(key).GetDouble().ToString("R", CultureInfo.InvariantCulture);
        string betas = string.Join(", ", g.GetProperty("betas").EnumerateArray().Select(b => b.GetDouble().ToString("R", CultureInfo.InvariantCulture)));
        string optimizer = g.GetProperty("optimizer").GetString()!;
        string eps = optimizer == "adamw" ? $"\n  eps: {Num("eps")}" : "";
        string method = g.GetProperty("method").GetString()!;
        string targets = g.TryGetProperty("target_modules", out var t) ? string.Join(", ", t.EnumerateArray().Select(m => m.GetString())) : "";
        string lora = method == "lora"
            ? $"lora:\n  r: {g.GetProperty("r").GetInt32()}\n  lora_alpha: {Num("lora_alpha")}\n  lora_dropout: {Num("lora_dropout")}\n"
              + $"  target_modules: [{targets}]\n"
            : "";
        return $"""
            model:
              path: "{Path.Combine(Goldens, "model")}"
            method: {method}
            {lora}optimizer:
              name: {optimizer}
              lr: {Num("lr")}
              betas: [{betas}]
              weight_decay: {Num("weight_decay")}{eps}
            scheduler:
              name: cosine_with_warmup
              t_warmup: {g.GetProperty("t_warmup").GetInt32()}ba
              alpha_f: {Num("alpha_f")}
            gradient_clipping:
              max_norm: {Num("max_norm")}
            data:
              regime: cpt
              paths: ["{Path.Combine(Goldens, "batch.json")}"]
              seq_len: 16
            global_train_batch_size: {g.GetProperty("global_batch").GetInt32()}
            device_train_microbatch_size: {g.GetProperty("micro_batch").GetInt32()}
            max_duration: {g.GetProperty("steps").GetInt32()}ba
            save_interval: 100ba
            seed: 7
            run_dir: "{runDir}"
            """;
    }

    /// <summary>Max |ours − PyTorch's| over the golden's final tensors (the trainable parameters); LoRA's base stays untouched.</summary>
    private static double MaxWeightDeviation(Trainer trainer, string path, out int compared)
    {
        using var scope = NewDisposeScope();
        using var reader = SafetensorsReader.Open(path);
        var ours = trainer.Model.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        Assert.Equal(reader.Tensors.Select(t => t.Name).Order(), trainer.TrainableParameterNames.Order());
        double max = 0;
        foreach (var info in reader.Tensors)
        {
            var expected = reader.ReadTensor(info.Name, ScalarType.Float32);
            max = Math.Max(max, (ours[info.Name].detach() - expected).abs().max().item<float>());
        }
        compared = reader.Tensors.Count;
        return max;
    }

    /// <summary>batch.json's samples: input ids and already-shifted labels (-100 = no loss), of different lengths.</summary>
    private sealed class GoldenSamples(List<(long[] InputIds, long[] Labels)> samples) : ITokenSampleSource
    {
        public int Count => samples.Count;

        public int MaxLength => samples.Max(s => s.InputIds.Length);

        public (long[] InputIds, long[] Labels) GetSample(int index) => samples[index];

        public static GoldenSamples Load(string path)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            static long[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
            return new GoldenSamples(doc.RootElement.GetProperty("samples").EnumerateArray()
                .Select(s => (Ids(s.GetProperty("input_ids")), Ids(s.GetProperty("labels")))).ToList());
        }
    }
}
