using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

/// <summary>config.json in transformers 4 and 5 dialects (hand-written fixtures, see Fixtures/README.md) and the goldens of llama3 RoPE.</summary>
public class LlamaConfigDialectTests
{
    [Fact]
    public void BothDialectsReadToTheSameConfig()
    {
        var v4 = LlamaConfig.Load(ConfigFixtures.PathOf("config-transformers4.json"));
        var v5 = LlamaConfig.Load(ConfigFixtures.PathOf("config-transformers5.json"));
        AssertSame(v4, v5);
        Assert.Equal(500000.0, v5.RopeTheta);
        Assert.Equal(new RopeScaling("llama3", 32, 1, 4, 8192), v5.RopeScaling);
        Assert.Equal("float32", v5.TorchDtype);
    }

    [Fact]
    public void SameWeightsGiveIdenticalLogitsUnderBothDialects()
    {
        using var dir = new TempDir();
        var config = LlamaConfig.Load(ConfigFixtures.PathOf("config-transformers4.json"));
        using (var model = new LlamaForCausalLM(config)) LlamaCheckpoint.Save(model, dir.Path);
        Directory.CreateDirectory(dir.File("v4"));
        Directory.CreateDirectory(dir.File("v5"));
        Directory.CreateDirectory(dir.File("theta-default"));
        foreach (var sub in new[] { "v4", "v5", "theta-default" }) File.Copy(dir.File("model.safetensors"), Path.Combine(dir.Path, sub, "model.safetensors"));
        File.Copy(ConfigFixtures.PathOf("config-transformers4.json"), Path.Combine(dir.Path, "v4", "config.json"));
        File.Copy(ConfigFixtures.PathOf("config-transformers5.json"), Path.Combine(dir.Path, "v5", "config.json"));
        // What LoraLab did before it read rope_parameters: θ = 10000, no scaling. Must differ, or this test could not fail.
        var fallback = JsonNode.Parse(File.ReadAllText(ConfigFixtures.PathOf("config-transformers5.json")))!.AsObject();
        fallback.Remove("rope_parameters");
        File.WriteAllText(Path.Combine(dir.Path, "theta-default", "config.json"), fallback.ToJsonString());

        using var scope = NewDisposeScope();
        using Scalar vocab = 32.ToScalar();
        var ids = Scalars.Arange(0, 48, CPU).remainder(vocab).unsqueeze(0); // (1, 48): positions up to 47
        Tensor Logits(string sub)
        {
            using var m = LlamaCheckpoint.Load(Path.Combine(dir.Path, sub));
            using var _ = no_grad();
            return m.Forward(ids).MoveToOuterDisposeScope();
        }
        var a = Logits("v4");
        var b = Logits("v5");
        Assert.True(a.eq(b).all().item<bool>(), "v4 and v5 configs of the same weights must give bit-identical logits");
        Assert.True((a - Logits("theta-default")).abs().max().item<float>() > 1e-4f);
    }

    [Fact]
    public void SavedConfigCarriesBothDialectsThatAgree()
    {
        using var dir = new TempDir();
        var c = LlamaConfig.Load(ConfigFixtures.PathOf("config-transformers5.json"));
        c.Save(dir.File("config.json"));
        var o = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        Assert.Equal(500000.0, o["rope_theta"]!.GetValue<double>());
        Assert.Equal(500000.0, o["rope_parameters"]!["rope_theta"]!.GetValue<double>());
        Assert.Equal("llama3", o["rope_scaling"]!["rope_type"]!.GetValue<string>());
        Assert.Null(o["rope_scaling"]!["rope_theta"]); // transformers 4's llama3 validation warns on extra keys
        Assert.Equal("float32", o["dtype"]!.GetValue<string>());
        Assert.Equal("float32", o["torch_dtype"]!.GetValue<string>());
        AssertSame(c, LlamaConfig.Load(dir.File("config.json")));
        // Each dialect alone must read back to the same config.
        var v4Only = o.DeepClone().AsObject();
        v4Only.Remove("rope_parameters");
        v4Only.Remove("dtype");
        var v5Only = o.DeepClone().AsObject();
        v5Only.Remove("rope_theta");
        v5Only.Remove("rope_scaling");
        v5Only.Remove("torch_dtype");
        File.WriteAllText(dir.File("v4.json"), v4Only.ToJsonString());
        File.WriteAllText(dir.File("v5.json"), v5Only.ToJsonString());
        AssertSame(c, LlamaConfig.Load(dir.File("v4.json")));
        AssertSame(c, LlamaConfig.Load(dir.File("v5.json")));
    }

    [Fact]
    public void Llama3InverseFrequenciesEqualTheClosedFormGolden()
    {
        // Goldens/rope_llama3_inv_freq.json: written by Goldens/rope_llama3_inv_freq.py (torch 1.13, float64 and float32).
        string path = Path.Combine(SharedFiles.RepoRoot, "tests", "LoraLab.Tests", "Models", "Llama", "Goldens", "rope_llama3_inv_freq.json");
        var cases = JsonNode.Parse(File.ReadAllText(path))!["cases"]!.AsArray();
        Assert.Equal(4, cases.Count);
        foreach (var c in cases)
        {
            var scaling = new RopeScaling("llama3", c!["factor"]!.GetValue<double>(), c["low_freq_factor"]!.GetValue<double>(),
                c["high_freq_factor"]!.GetValue<double>(), c["original_max_position_embeddings"]!.GetValue<int>());
            var ours = RotaryEmbedding.InverseFrequencies(c["head_dim"]!.GetValue<int>(), c["rope_theta"]!.GetValue<double>(), scaling);
            var f64 = c["inv_freq_f64"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var f32 = c["inv_freq_f32"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
            Assert.Equal(f64.Length, ours.Length);
            for (int i = 0; i < ours.Length; i++)
            {
                Assert.True(Math.Abs(ours[i] - f64[i]) <= 1e-13 * f64[i], $"{c["name"]} [{i}]: {ours[i]:R} vs golden {f64[i]:R}");
                                // transformers computes θ^(−2i/d) in float32, whose rounded exponent puts it up to ~4e-7 (relative) off the
                // exact value; the model uses the float32 cast of the exact value.
                Assert.True(Math.Abs((float)ours[i] - f32[i]) <= 1e-6 * f32[i], $"{c["name"]} [{i}] float32: {(float)ours[i]:R} vs {f32[i]:R}");
            }
        }
    }

    internal static void AssertSame(LlamaConfig expected, LlamaConfig actual)
    {
        Assert.Equal(expected with { ExtraEosTokenIds = Array.Empty<int>() }, actual with { ExtraEosTokenIds = Array.Empty<int>() });
        Assert.Equal(expected.ExtraEosTokenIds, actual.ExtraEosTokenIds);
    }
}
