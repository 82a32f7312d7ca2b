using LoraLab.Tests.TestSupport;
using LoraLab.Training.Config;

namespace LoraLab.Tests.Training;

public class ShippedConfigTests
{
    public static TheoryData<string> Configs() =>
        [.. Directory.GetFiles(Path.Combine(SharedFiles.RepoRoot, "configs"), "*.yaml")
            .Select(p => Path.GetFileName(p)!).OrderBy(n => n, StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Configs))]
    public void ParsesValidatesAndNamesItsOwnCommand(string name)
    {
        string path = Path.Combine(SharedFiles.RepoRoot, "configs", name);
        var config = RunConfigLoader.Load(path);
        Assert.Contains($"train --config configs/{name}", File.ReadAllText(path));
        Assert.Equal(0.9, config.Optimizer.EffectiveBetas.Beta1);
        Assert.Equal(0.95, config.Optimizer.EffectiveBetas.Beta2);
        if (config.Method == FinetuneMethod.Lora)
        {
            Assert.Equal(2.0 * config.Lora.R, config.Lora.EffectiveAlpha);
            Assert.Equal(0.05, config.Lora.LoraDropout);
            Assert.Equal(7, config.Lora.ResolveTargetModules(out _)!.Length);
            Assert.Equal(256, RunConfigLoader.Load(path, ["lora.r=256"]).Lora.R);
        }
    }
}
