using LoraLab.Models.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

public class MemoryTests
{
    [Fact]
    public void RepeatedForwardsLeaveNoLiveTensorsBehind()
    {
        var config = LlamaConfigTests.TinyConfig();
        using var model = new LlamaForCausalLM(config);
        model.eval();
        using var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        using var mask = ones(2, 12, dtype: ScalarType.Int64);
        void Step()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.Forward(ids);
            model.Forward(ids, mask);
            LlamaForCausalLM.CausalLoss(model.Forward(ids), ids);
        }
        Step(); // warm-up
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void TrainingForwardAndBackwardLeaveNoLiveTensorsBehind()
    {
        var config = LlamaConfigTests.TinyConfig();
        using var model = new LlamaForCausalLM(config);
        using var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        void Step()
        {
            using var scope = NewDisposeScope();
            var loss = LlamaForCausalLM.CausalLoss(model.Forward(ids), ids);
            loss.backward();
            model.zero_grad();
        }
        Step();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
