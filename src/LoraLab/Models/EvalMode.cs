using TorchSharp;

namespace LoraLab.Models;

/// <summary>
/// Puts a module in eval mode (dropout off) for the scope of a <c>using</c> and restores its previous mode on dispose,
/// also when the scope throws: <c>using var mode = EvalMode.Enter(model);</c>.
/// </summary>
public readonly struct EvalMode : IDisposable
{
    private readonly torch.nn.Module _module;
    private readonly bool _wasTraining;

    private EvalMode(torch.nn.Module module)
    {
        _module = module;
        _wasTraining = module.training;
        module.eval();
    }

    public static EvalMode Enter(torch.nn.Module module) => new(module);

    public void Dispose()
    {
        if (_wasTraining) _module.train();
    }
}
