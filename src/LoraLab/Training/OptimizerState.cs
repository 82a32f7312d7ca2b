using TorchSharp;

namespace LoraLab.Training;

/// <summary>
/// A snapshot of an optimizer for exact resume: the step count, the current and initial lr, and its per-parameter
/// tensors named <c>"{parameter index}.{state name}"</c> (e.g. <c>"0.exp_avg"</c>, <c>"3.exp_avg_sq"</c>, <c>"3.step"</c>),
/// the index being the position in the parameter list the optimizer was built with (as PyTorch's optimizer state_dict).
/// The tensors are copies owned by this object; dispose it when done.
/// </summary>
public sealed class OptimizerState : IDisposable
{
    public OptimizerState(string optimizerName, long step, double lr, double initialLr, int parameterCount, Dictionary<string, torch.Tensor> tensors)
    {
        OptimizerName = optimizerName;
        Step = step;
        Lr = lr;
        InitialLr = initialLr;
        ParameterCount = parameterCount;
        Tensors = tensors;
    }

    /// <summary>"decoupled_lionw" or "adamw".</summary>
    public string OptimizerName { get; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; }

    public double Lr { get; }

    public double InitialLr { get; }

    /// <summary>Number of parameters the optimizer was built with (checked on load).</summary>
    public int ParameterCount { get; }

    public Dictionary<string, torch.Tensor> Tensors { get; }

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}
