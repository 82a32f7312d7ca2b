using System.Diagnostics;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;
using LoraLab.Training;
using LoraLab.Training.Config;
using Xunit.Abstractions;

namespace LoraLab.Tests.Training;

/// <summary>
/// Real data: stories260K (a TinyStories model) finetuned on GSM8K solutions (continued pretraining on the answer text:
/// with the 512-token vocabulary most GSM8K questions alone exceed a short seq_len, so IFT would drop them). Both LoRA and
/// full finetuning must lower the held-out GSM8K loss (learning); full finetuning must raise the TinyStories loss
/// (forgetting). The numbers are printed for the record.
/// </summary>
public class LearningTests(ITestOutputHelper output)
{
    private const int SeqLen = 64;
    private const int TrainRows = 256;
    private const int HeldOutRows = 200;

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void LoraAndFullFinetuningLearnGsm8kAndFullForgetsTinyStories()
    {
        string bin = SharedFiles.Require(SharedFiles.Stories260KBin);
        string tok = SharedFiles.Require(SharedFiles.Tok512Model);
        string gsm = SharedFiles.Require(SharedFiles.Gsm8kTrain);
        string stories = SharedFiles.Require(SharedFiles.TinyStories);
        var setup = Stopwatch.StartNew();
        using var dir = new TempDir();
        string modelDir = dir.File("stories260K");
        Llama2cConverter.Convert(bin, tok, modelDir, TorchSharp.torch.ScalarType.Float32);
        var lines = File.ReadAllLines(gsm);
        File.WriteAllLines(dir.File("train.jsonl"), lines.Take(TrainRows));
        File.WriteAllLines(dir.File("heldout.jsonl"), lines.TakeLast(HeldOutRows)); // the last rows: never trained on

        var tokenizer = TokenizerLoader.LoadFromDirectory(modelDir);
        using var heldOutCache = TokenCache.BuildOrOpen([dir.File("heldout.jsonl")], tokenizer, dir.File("heldout.tokens"), textField: "answer");
        var heldOut = new CptDataset(heldOutCache, SeqLen);
        using var cache = TokenCache.BuildOrOpen([stories], tokenizer, dir.File("stories.tokens"));
        var tiny = new CptDataset(cache, SeqLen);
        (double Gsm, double Stories) Losses(LlamaForCausalLM m) =>
            (TokenLoss.Evaluate(m, heldOut, 32, maxSamples: 96).MeanLoss, TokenLoss.Evaluate(m, tiny, 32, maxSamples: 96).MeanLoss);

        using var baseModel = LlamaCheckpoint.Load(modelDir);
        var before = Losses(baseModel);
        output.WriteLine($"setup (convert, tokenize, base losses): {setup.Elapsed.TotalSeconds:F1} s");
        var clock = Stopwatch.StartNew();
        using var lora = Train(dir, modelDir, "lora", "method=lora", "lora.r=16", "optimizer.lr=2.0e-3");
        var afterLora = Losses(lora.Model);
        double loraSeconds = clock.Elapsed.TotalSeconds;
        using var full = Train(dir, modelDir, "full", "method=full", "optimizer.lr=1.0e-3");
        var afterFull = Losses(full.Model);
        double fullSeconds = clock.Elapsed.TotalSeconds - loraSeconds;

        output.WriteLine($"stories260K on GSM8K ({TrainRows} train rows, seq_len {SeqLen}, {lora.Step} steps × {lora.Config.GlobalTrainBatchSize}, Lion):");
        output.WriteLine($"  held-out GSM8K answer loss (last {HeldOutRows} rows, first 96 windows): base {TinyRun.F(before.Gsm)}  LoRA r=16 " +
            $"{TinyRun.F(afterLora.Gsm)}  full {TinyRun.F(afterFull.Gsm)}");
        output.WriteLine($"  TinyStories loss (96 windows) :       base {TinyRun.F(before.Stories)}  LoRA r=16 {TinyRun.F(afterLora.Stories)}  full " +
            $"{TinyRun.F(afterFull.Stories)}");
        output.WriteLine($"  time: LoRA {loraSeconds:F1} s, full {fullSeconds:F1} s");

        Assert.True(afterLora.Gsm < before.Gsm, "LoRA lowers the held-out GSM8K loss");
        Assert.True(afterFull.Gsm < before.Gsm, "full finetuning lowers the held-out GSM8K loss");
        Assert.True(afterFull.Stories > before.Stories, "full finetuning forgets TinyStories");
    }

    private static Trainer Train(TempDir dir, string modelDir, string name, params string[] overrides)
    {
        string yaml = $$"""
            model:
              path: "{{modelDir}}"
            optimizer:
              name: decoupled_lionw
              betas: [0.9, 0.95]
            scheduler:
              name: constant_with_warmup
              t_warmup: 3ba
            data:
              regime: cpt
              paths: ["{{dir.File("train.jsonl")}}"]
              seq_len: {{SeqLen}}
              text_field: answer
            global_train_batch_size: 8
            max_duration: 16ba
            save_interval: 100ba
            run_dir: "{{dir.File("run-" + name)}}"
            """;
        var trainer = new Trainer(RunConfigLoader.Parse(yaml, name + ".yaml", overrides), new TrainerOptions { Console = null });
        trainer.Run();
        return trainer;
    }
}
