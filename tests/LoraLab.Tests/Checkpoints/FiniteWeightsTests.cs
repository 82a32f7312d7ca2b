using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Tests.Cli;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

/// <summary>Weights holding NaN or Inf are refused at load, naming the file and the tensor (issue 14: they used to generate nothing, exit 0).</summary>
public class FiniteWeightsTests
{
    private static string SaveWith(TempDir dir, string tensor, float bad)
    {
        string model = dir.File("model");
        using var m = new LlamaForCausalLM(TinyLlama.Config());
        using (no_grad())
        {
            var t = m.state_dict()[tensor];
            using var value = torch.tensor(bad);
            if (t.dim() == 1) t[3] = value;
            else t[0, 1] = value;
        }
        LlamaCheckpoint.Save(m, model);
        return model;
    }

    [Theory]
    [InlineData("model.layers.1.mlp.up_proj.weight", float.NaN)]
    [InlineData("model.embed_tokens.weight", float.PositiveInfinity)]
    [InlineData("model.norm.weight", float.NegativeInfinity)]
    public void LoadRefusesNonFiniteWeightsNamingFileAndTensor(string tensor, float bad)
    {
        using var dir = new TempDir();
        string model = SaveWith(dir, tensor, bad);
        var e = Assert.Throws<LoraLabException>(() => LlamaCheckpoint.Load(model));
        Assert.StartsWith(Path.Combine(model, "model.safetensors") + ":", e.Message);
        Assert.Contains($"'{tensor}' holds 1 NaN/Inf value(s)", e.Message);
    }

    [Fact]
    public void GenerateExitsTwoOnNonFiniteWeights()
    {
        using var dir = new TempDir();
        string model = SaveWith(dir, "model.layers.0.self_attn.q_proj.weight", float.NaN);
        var r = CliRun.Run("generate", "--model", model, "--prompt", "x");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("model.safetensors", r.StdErr);
        Assert.Contains("'model.layers.0.self_attn.q_proj.weight'", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
    }
}
