using LoraLab.Kernels;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Training;
using LoraLab.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Tests.Models.Llama;

public class MemoryTests
{
    [Fact]
    public void RepeatedForwardsLeaveNoLiveTensorsBehind()
    {
        var config = TinyLlama.Config();
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
            CausalLoss.Compute(model.Forward(ids), ids);
        }
        AssertNoLiveTensorsLeft(Step, 50);
    }

    [Fact]
    public void TrainingForwardAndBackwardLeaveNoLiveTensorsBehind()
    {
        var config = TinyLlama.Config();
        using var model = new LlamaForCausalLM(config);
        using var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        void Step()
        {
            using var scope = NewDisposeScope();
            var loss = CausalLoss.Compute(model.Forward(ids), ids);
            loss.backward();
            model.zero_grad();
        }
        AssertNoLiveTensorsLeft(Step, 20);
    }

    [Fact]
    public void LoraStepsThroughTheCustomAutogradNodesLeaveNoLiveTensorsBehind()
    {
        // LoraLinearFunction (with dropout) and LinearCrossEntropy: what their backward hands libtorch is released.
        var config = TinyLlama.Config();
        using var model = LoraModel.Create(config, ScalarType.Float32, new LoraConfig(4, LoraTargets.All, dropout: 0.1));
        model.train();
        using var ids = randint(0, config.VocabSize, new long[] { 2, 12 });
        void Step()
        {
            using var scope = NewDisposeScope();
            LinearCrossEntropy.Sum(model.Model.Forward(ids), model.OutputWeight, ids).backward();
            model.zero_grad();
        }
        AssertNoLiveTensorsLeft(Step, 20);
    }

    private static void AssertNoLiveTensorsLeft(Action step, int repeats)
    {
        step(); // warm-up
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < repeats; i++) step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
