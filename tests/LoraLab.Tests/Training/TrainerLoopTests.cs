using LoraLab.Tests.TestSupport;
using LoraLab.Checkpoints;
using LoraLab.Data;
using LoraLab.Peft;
using LoraLab.Tests.Data;
using LoraLab.Training;
using LoraLab.Training.Checkpointing;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Training;

[Collection(GlobalTorchRngCollection.Name)]
public class TrainerLoopTests
{
    [Fact]
    public void FourMicroBatchesOfTwoEqualOneBatchOfEight()
    {
        using var run = new TinyRun();
        // AdamW with a large eps makes the first update ≈ lr·g (smooth in g) instead of lr·sign(g), so fp32 rounding
        // differences between the two splits stay tiny instead of flipping signs.
        string[] common = ["optimizer.name=adamw", "optimizer.lr=0.1", "optimizer.eps=1.0", "optimizer.weight_decay=0",
            "scheduler.name=constant_with_warmup", "scheduler.t_warmup=0ba", "max_duration=1ba"];
        using var split = TinyRun.Train(run.Config("split", [.. common, "device_train_microbatch_size=2"]));
        using var whole = TinyRun.Train(run.Config("whole", [.. common, "device_train_microbatch_size=8"]));
        using var initial = LlamaCheckpoint.Load(run.ModelDir);
        var before = TinyRun.Snapshot(initial);
        Assert.Equal(whole.LastLoss!.Value, split.LastLoss!.Value, 5);
        var a = TinyRun.Snapshot(split.Model);
        var b = TinyRun.Snapshot(whole.Model);
        double moved = 0;
        foreach (var (name, w) in b)
        {
            Assert.True(a[name].allclose(w, rtol: 1e-5, atol: 1e-6), $"{name} differs between 2×4 and 8×1");
            moved = Math.Max(moved, (w - before[name]).abs().max().item<float>());
        }
        Assert.True(moved > 1e-3, "the step changed the weights");
    }

    [Fact]
    public void IftLossCountsResponseTokensOnly()
    {
        using var run = new TinyRun(rows: 2);
        var config = run.Config("ift", "global_train_batch_size=2", "device_train_microbatch_size=2", "max_duration=1ba", "scheduler.t_warmup=0ba");
        using var trainer = TinyRun.Train(config);

        // Hand computation: each row alone (no padding), −log softmax at every position whose NEXT token is a response token.
        var tok = new ByteTestTokenizer();
        using var model = LlamaCheckpoint.Load(run.ModelDir);
        using var scope = NewDisposeScope();
        double responseSum = 0, allSum = 0;
        int responseCount = 0, allCount = 0;
        foreach (string line in File.ReadAllLines(run.IftPath))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            int[] prompt = tok.Encode(doc.RootElement.GetProperty("question").GetString()! + "\n", addBos: true);
            int[] response = tok.Encode(doc.RootElement.GetProperty("answer").GetString()!, addBos: false, addEos: true);
            int[] s = [.. prompt, .. response];
            using var noGrad = no_grad();
            var logp = nn.functional.log_softmax(model.Forward(tensor(s.Select(x => (long)x).ToArray(), new long[] { 1, s.Length }))[0], 1); // (L, V)
            float[] lp = logp.data<float>().ToArray();
            long v = logp.shape[1];
            for (int t = 0; t + 1 < s.Length; t++)
            {
                double nll = -lp[t * v + s[t + 1]];
                allSum += nll;
                allCount++;
                if (t + 1 >= prompt.Length)
                {
                    responseSum += nll;
                    responseCount++;
                }
            }
        }
        double expected = responseSum / responseCount;
        Assert.Equal(expected, trainer.LastLoss!.Value, 4);
        Assert.True(Math.Abs(allSum / allCount - expected) > 1e-2, "prompt tokens would change the loss, so the test can tell");
        Assert.Equal(responseCount, (int)TinyRun.Num(TinyRun.Metrics(trainer.RunDirectory)[0], "loss_tokens"));
    }

    [Fact]
    public void LoraTrainsOnlyAdaptersAndFullTrainsEverything()
    {
        using var run = new TinyRun();
        using var initial = LlamaCheckpoint.Load(run.ModelDir);
        var before = TinyRun.Snapshot(initial);

        using var lora = TinyRun.Train(run.Config("lora", "method=lora", "lora.r=4", "max_duration=3ba"));
        int adapters = 0;
        foreach (var (name, p) in lora.Model.named_parameters())
        {
            if (LoraModules.IsLoraParameter(name))
            {
                adapters++;
                Assert.True(p.abs().sum().item<float>() > 0, $"{name} trained");
                if (name.Contains("lora_B")) continue; // lora_B starts at zero: nonzero means changed
            }
            else
            {
                Assert.True(TinyRun.Same(p, before[name]), $"base weight {name} changed under LoRA");
            }
        }
        Assert.Equal(2 * 7 * 2, adapters); // 2 layers × 7 modules × (A, B)
        Assert.True(lora.TrainableParameterNames.All(LoraModules.IsLoraParameter));
        using (var reloaded = PeftAdapter.LoadWithBase(run.ModelDir, Path.Combine(lora.RunDirectory, "final")))
            foreach (var (name, p) in reloaded.named_parameters()) Assert.True(TinyRun.Same(p, lora.Model.state_dict()[name]), $"final/ adapter {name}");

        using var full = TinyRun.Train(run.Config("full", "max_duration=3ba"));
        foreach (var (name, p) in full.Model.named_parameters()) Assert.False(TinyRun.Same(p, before[name]), $"{name} unchanged by full finetuning");
        using var saved = LlamaCheckpoint.Load(Path.Combine(full.RunDirectory, "final"));
        foreach (var (name, p) in saved.named_parameters()) Assert.True(TinyRun.Same(p, full.Model.state_dict()[name]), $"final/ model {name}");
    }

    [Fact]
    public void NanLossStopsNamingTheStepAndKeepsTheLastCheckpoint()
    {
        using var run = new TinyRun();
        var config = run.Config("nan", "save_interval=2ba");
        using var trainer = TinyRun.Trainer(config, afterStep: (t, step) =>
        {
            if (step != 2) return;
            using var noGrad = no_grad();
            using Scalar nan = double.NaN.ToScalar();
            t.Model.Model.EmbedTokens.weight!.fill_(nan);
        });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Equal(3, e.Step);
        Assert.Contains("step 3", e.Message);
        Assert.Contains("loss is NaN", e.Message);
        string latest = TrainingCheckpoint.FindLatest(trainer.CheckpointsDirectory)!;
        Assert.EndsWith("step-000002", latest);
        Assert.Contains(latest, e.Message);
        Assert.Equal(2, TrainingCheckpoint.ReadManifest(latest).Step);
        using var reader = SafetensorsReader.Open(Path.Combine(latest, TrainingCheckpoint.ModelFile));
        using var embed = reader.ReadTensor("model.embed_tokens.weight");
        Assert.False(embed.isnan().any().item<bool>(), "the checkpoint holds the last good weights");
        Assert.False(Directory.Exists(Path.Combine(trainer.RunDirectory, "final")));
        Assert.IsAssignableFrom<LoraLabException>(e); // the CLI prints it on one line and exits 2
    }
}
