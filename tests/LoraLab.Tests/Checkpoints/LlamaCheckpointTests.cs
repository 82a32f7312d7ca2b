using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

public class LlamaCheckpointTests
{
    private static Tensor Logits(LlamaForCausalLM model, long[] ids)
    {
        using var _ = no_grad();
        return model.Forward(tensor(ids, new long[] { 1, ids.Length }));
    }

    [SkippableFact]
    public void SafetensorsDirectoryGivesTheSameLogitsAsTheLlama2cFile()
    {
        using var dir = new TempDir();
        using var fromBin = Stories260KTests.LoadFromBin();
        LlamaCheckpoint.Save(fromBin, dir.Path);
        Assert.True(File.Exists(dir.File("model.safetensors")));
        using var fromDir = LlamaCheckpoint.Load(dir.Path);
        using var scope = NewDisposeScope();
        var ids = new long[] { 1, 403, 407, 261, 378, 432, 383, 286, 261, 376 };
        double maxDiff = (Logits(fromBin, ids) - Logits(fromDir, ids)).abs().max().item<float>();
        Assert.True(maxDiff < 1e-5, $"max abs diff {maxDiff}");
        // tied embeddings: HF writes no lm_head.weight
        using var st = SafetensorsCheckpoint.Open(dir.Path);
        Assert.DoesNotContain("lm_head.weight", st.TensorNames);
        Assert.Contains("model.layers.4.mlp.down_proj.weight", st.TensorNames);
    }

    [Fact]
    public void ShardedBf16SaveLoadsBack()
    {
        using var dir = new TempDir();
        manual_seed(3);
        using var model = new LlamaForCausalLM(TinyLlama.Config(tie: false));
        LlamaCheckpoint.Save(model, dir.Path, ScalarType.BFloat16, maxShardBytes: 8_000);
        Assert.True(File.Exists(dir.File("model.safetensors.index.json")));
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(dir.File("config.json")));
        using var loaded = LlamaCheckpoint.Load(dir.Path);
        foreach (var (name, p) in model.state_dict())
        {
            var expected = p.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
            Assert.True(loaded.state_dict()[name].allclose(expected, rtol: 0, atol: 0), name);
        }
        using var bf16 = LlamaCheckpoint.Load(dir.Path, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.Model.EmbedTokens.weight!.dtype);
        using var scope = NewDisposeScope();
        var logits = Logits(bf16, new long[] { 1, 2, 3 });
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void MissingOrMisshapenTensorsAreReportedByName()
    {
        using var dir = new TempDir();
        using var model = new LlamaForCausalLM(TinyLlama.Config());
        LlamaCheckpoint.Save(model, dir.Path);
        // Claim a bigger intermediate size than the weights have.
        File.WriteAllText(dir.File("config.json"), File.ReadAllText(dir.File("config.json")).Replace("\"intermediate_size\": 48", "\"intermediate_size\": 50"));
        var e = Assert.Throws<LoraLabException>(() => LlamaCheckpoint.Load(dir.Path));
        Assert.Contains("mlp", e.Message);
        Assert.Contains("shape", e.Message);
    }

    [Fact]
    public void LoraModelIsExportedMerged()
    {
        using var dir = new TempDir();
        manual_seed(4);
        var lora = new LoraConfig(2, new[] { "all" });
        using var model = LoraModel.Create(TinyLlama.Config(), ScalarType.Float32, lora);
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(model)) layer.LoraB.normal_(0, 0.1);
        Assert.Contains("merged", Assert.Throws<LoraLabException>(() => LlamaCheckpoint.Save(model, dir.Path)).Message);
        LoraModel.SaveMerged(model, dir.Path);
        using var st = SafetensorsCheckpoint.Open(dir.Path);
        Assert.DoesNotContain(st.TensorNames, n => n.Contains("lora"));
        using var merged = LlamaCheckpoint.Load(dir.Path);
        using var scope = NewDisposeScope();
        model.eval();
        var ids = new long[] { 1, 5, 7, 9, 11 };
        Assert.True(Logits(model, ids).allclose(Logits(merged, ids), rtol: 0, atol: 1e-4));
        Assert.False(LoraModules.Find(model)[0].Layer.Merged); // the model itself is untouched
    }
}
