using System.Globalization;
using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Tests.Data;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Training;
using LoraLab.Training.Config;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

/// <summary>
/// A tiny random Llama (TinyConfig, vocab 259 for <see cref="ByteTestTokenizer"/>) saved as a Hugging Face directory,
/// small IFT (question/answer JSONL) and CPT (text) files, and a base run config in a temporary directory.
/// </summary>
internal sealed class TinyRun : IDisposable
{
    private readonly TempDir _dir = new();

    public TinyRun(int rows = 24)
    {
        ModelDir = _dir.File("model");
        manual_seed(1234);
        using (var model = new LlamaForCausalLM(TinyLlama.Config() with { VocabSize = 259 }))
            LlamaCheckpoint.Save(model, ModelDir);
        IftPath = _dir.File("train.jsonl");
        File.WriteAllLines(IftPath, Enumerable.Range(0, rows).Select(i =>
        {
            int a = (i * 7) % 13, b = (i * 5) % 11;
            string answer = i % 3 == 0 ? $"{a + b}" : $"{a} plus {b} is {a + b}";
            return JsonSerializer.Serialize(new { question = $"{a}+{b}?", answer });
        }));
        CptPath = _dir.File("train.txt");
        File.WriteAllText(CptPath, string.Join("\n\n", Enumerable.Range(0, 30).Select(i => $"Story {i}: the cat sat on mat {i % 4}.")));
    }

    public string Root => _dir.Path;

    public string ModelDir { get; }

    public string IftPath { get; }

    public string CptPath { get; }

    /// <summary>A full-finetuning ift config writing to <paramref name="runName"/>; change it with overrides.</summary>
    public string Yaml(string runName) => $$"""
        model:
          path: "{{ModelDir}}"
        method: full
        optimizer:
          name: decoupled_lionw
          lr: 1.0e-3
        scheduler:
          name: cosine_with_warmup
          t_warmup: 2ba
        data:
          regime: ift
          paths: ["{{IftPath}}"]
          seq_len: 24
          preset: gsm8k
        global_train_batch_size: 8
        device_train_microbatch_size: 2
        max_duration: 6ba
        save_interval: 3ba
        seed: 5
        run_dir: "{{_dir.File(runName)}}"
        """;

    public RunConfig Config(string runName, params string[] overrides) => RunConfigLoader.Parse(Yaml(runName), "tiny.yaml", overrides);

    public string WriteConfig(string runName)
    {
        string path = _dir.File(runName + ".yaml");
        File.WriteAllText(path, Yaml(runName));
        return path;
    }

    public static Trainer Trainer(RunConfig config, long? stopAfter = null, Action<Trainer, long>? afterStep = null) =>
        new(config, new TrainerOptions { Tokenizer = new ByteTestTokenizer(), Console = null, StopAfterStep = stopAfter, AfterStep = afterStep });

    /// <summary>Trains to the end and returns the trainer (caller disposes).</summary>
    public static Trainer Train(RunConfig config)
    {
        var t = Trainer(config);
        t.Run();
        return t;
    }

    /// <summary>Copies of every named parameter.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(np => np.name, np => np.parameter.detach().clone().DetachFromDisposeScope());

    /// <summary>torch.equal: same shape and every element equal (bitwise for finite values).</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    /// <summary>The metrics.jsonl rows of a run, parsed.</summary>
    public static List<JsonElement> Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    /// <summary>The metrics.jsonl rows of the optimizer steps ("type": "train"), in order.</summary>
    public static List<JsonElement> TrainRows(string runDir) => Metrics(runDir).Where(r => r.GetProperty("type").GetString() == "train").ToList();

    public static double Num(JsonElement row, string key) => row.GetProperty(key).GetDouble();

    public static string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    public void Dispose() => _dir.Dispose();
}
