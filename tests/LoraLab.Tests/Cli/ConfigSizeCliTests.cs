using System.Text.Json.Nodes;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.Cli;

/// <summary>
/// Oversized or mistyped config.json sizes beside small weights (the hostile-input trials of issue 14): refused before
/// anything is allocated, exit 2, one line naming config.json and the field — not an allocation trace, SIGABRT or a
/// machine run out of memory.
/// </summary>
public class ConfigSizeCliTests
{
    [Theory]
    [InlineData("num_hidden_layers", 1000000000L)]
    [InlineData("num_hidden_layers", 100000L)]
    [InlineData("vocab_size", 2147483647L)]
    [InlineData("intermediate_size", 2147483647L)]
    [InlineData("hidden_size", 1048576L)]
    [InlineData("vocab_size", 1000000000000L)]
    public void GenerateRefusesASizeTheWeightsDoNotHave(string field, long value)
    {
        using var dir = new TempDir();
        string model = ConfigRefusalCliTests.ModelDirWith(dir, o => o[field] = value);
        string fixtureFile = ConfigFixtures.PathOf("config-transformers5.json");
        var fixture = LlamaConfig.Load(fixtureFile);
        using (var tiny = new LlamaForCausalLM(fixture)) LlamaCheckpoint.Save(tiny, dir.File("weights"));
        File.Copy(dir.File("weights/model.safetensors"), Path.Combine(model, "model.safetensors"));
        var r = CliRun.Run("generate", "--model", model, "--prompt", "x");
        ConfigRefusalCliTests.AssertOneLineRefusal(r, $"'{field}'");
        if (value > int.MaxValue) Assert.Contains("out of range", r.StdErr);
    }
}
