using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

/// <summary><see cref="Llama2cWriter"/> against llama2.c's own export of stories260K, and round trips through the reader.</summary>
[Collection(GlobalTorchRngCollection.Name)]
public class Llama2cWriterTests
{
    [SkippableFact]
    public void RewritingStories260KGivesLlama2csOwnBytes()
    {
        string original = SharedFiles.Require(SharedFiles.Stories260KBin);
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "rewritten.bin");
        using (var model = Llama2cCheckpoint.LoadModel(original)) Llama2cWriter.Write(model, path);
        byte[] expected = File.ReadAllBytes(original), written = File.ReadAllBytes(path);
        Assert.Equal(expected.Length, written.Length);
        // header and weights byte for byte; the legacy RoPE tables (512 × 4 cos, then sin; readers skip them) to float rounding
        const int headSize = 8, seqLen = 512;
        long weightsEnd = 28 + 4L * 260_032; // the README's parameter count
        Assert.True(expected.AsSpan(0, (int)weightsEnd).SequenceEqual(written.AsSpan(0, (int)weightsEnd)), "header or weights differ");
        var tablesExpected = new float[seqLen * headSize];
        var tablesWritten = new float[seqLen * headSize];
        Buffer.BlockCopy(expected, (int)weightsEnd, tablesExpected, 0, tablesExpected.Length * 4);
        Buffer.BlockCopy(written, (int)weightsEnd, tablesWritten, 0, tablesWritten.Length * 4);
        for (int i = 0; i < tablesExpected.Length; i++) Assert.True(Math.Abs(tablesExpected[i] - tablesWritten[i]) < 1e-4, $"table entry {i}");
    }

    [Fact]
    public void AnUntiedGqaModelRoundTrips()
    {
        var config = TinyLlama.Config(kvHeads: 2, tie: false); // 4 heads of 8 over hidden 32
        manual_seed(3);
        using var model = new LlamaForCausalLM(config);
        LlamaInit.Apply(model);
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "m.bin");
        Llama2cWriter.Write(model, path);
        using var back = Llama2cCheckpoint.LoadModel(path);
        Assert.False(back.Config.TieWordEmbeddings);
        var a = model.state_dict();
        var b = back.state_dict();
        Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
        foreach (var key in a.Keys) Assert.True(a[key].equal(b[key]).all().item<bool>(), key);
    }

    [Fact]
    public void ModelsTheFormatCannotHoldAreRefusedWithNothingWritten()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "m.bin");
        var config = TinyLlama.Config();
        using var lora = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(4, LoraTargets.All));
        var e = Assert.Throws<LoraLabException>(() => Llama2cWriter.Write(lora, path));
        Assert.Contains("merge LoRA adapters first", e.Message);
        using var llama3 = new LlamaForCausalLM(config with { RopeScaling = new RopeScaling("llama3", 8.0) });
        Assert.Contains("rope_scaling llama3", Assert.Throws<LoraLabException>(() => Llama2cWriter.Write(llama3, path)).Message);
        Assert.False(File.Exists(path));
    }
}
