using LoraLab.Checkpoints;
using LoraLab.Experiments.Demo;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tests.TestSupport;
using static TorchSharp.torch;

namespace LoraLab.Tests.Experiments.Demo;

public class DemoIntrudersTests
{
    [Fact]
    public void TheBaseHasNoIntrudersAndALoraModelCountsAsItsMergedWeights()
    {
        using var dir = new TempDir();
        manual_seed(5);
        using (var plain = new LlamaForCausalLM(TinyLlama.Config())) LlamaCheckpoint.Save(plain, dir.File("base"));
        using var intruders = new DemoIntruders(dir.File("base"));
        Assert.Equal(2 * 7, intruders.Modules); // 2 layers × 7 projections

        using var same = LlamaCheckpoint.Load(dir.File("base"));
        Assert.Equal(0, intruders.Count(same)); // W = W₀: every top singular vector is the base's own
        using var lora = LoraModel.Load(dir.File("base"), ScalarType.Float32, new LoraConfig(2, ["all"]));
        Assert.Equal(0, intruders.Count(lora)); // fresh adapters: B = 0, so ΔW = 0

        // a rank-2 change per projection far larger than W₀ (entries ~0.02): its directions are random, not the base's
        using (no_grad())
            foreach (var (_, layer) in LoraModules.Find(lora)) layer.LoraB.normal_(0, 5.0);
        int n = intruders.Count(lora);
        Assert.InRange(n, 1, 2 * intruders.Modules); // at most r = 2 new directions per projection
        LoraModel.SaveMerged(lora, dir.File("merged"));
        using var merged = LlamaCheckpoint.Load(dir.File("merged"));
        Assert.Equal(n, intruders.Count(merged)); // the same weights as a plain model
    }
}
