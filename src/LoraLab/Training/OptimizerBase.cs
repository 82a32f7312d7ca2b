using TorchSharp;
using TorchSharp.Modules;

namespace LoraLab.Training;

/// <summary>
/// Base of LoraLab's optimizers: holds the trainable parameters, a settable current lr (the schedule sets
/// <c>Lr = base_lr × α(t)</c> before each step), the lr it was created with (<see cref="InitialLr"/>, used by the
/// decoupled weight decay), and per-parameter state tensors that can be saved and restored exactly.
/// Parameters whose <c>grad</c> is null are skipped by <see cref="Step"/>, as in PyTorch.
/// </summary>
public abstract class OptimizerBase : IDisposable
{
    private readonly Dictionary<string, torch.Tensor>[] _state;

    protected OptimizerBase(string name, IList<Parameter> parameters, double lr)
    {
        if (parameters.Count == 0) throw new LoraLabException($"{name}: no trainable parameters were given");
        if (!(lr >= 0) || !double.IsFinite(lr)) throw new LoraLabException($"{name}: lr must be a finite number ≥ 0, got {lr}");
        Name = name;
        Parameters = parameters.ToArray();
        InitialLr = lr;
        Lr = lr;
        _state = new Dictionary<string, torch.Tensor>[Parameters.Count];
        for (int i = 0; i < _state.Length; i++) _state[i] = new Dictionary<string, torch.Tensor>();
    }

    /// <summary>"decoupled_lionw" or "adamw".</summary>
    public string Name { get; }

    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The lr given at construction (Composer's <c>initial_lr</c>).</summary>
    public double InitialLr { get; private set; }

    /// <summary>The lr used by the next <see cref="Step"/>.</summary>
    public double Lr { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Updates every parameter that has a gradient, without recording autograd history.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            var g = p.grad;
            if (g is null) continue;
            UpdateParameter(i, p, g);
        }
        StepCount++;
    }

    /// <summary>Sets every parameter's gradient to null.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            p.grad = null;
        }
    }

    /// <summary>Applies one update to parameter <paramref name="index"/> (inside no_grad and a dispose scope).</summary>
    protected abstract void UpdateParameter(int index, Parameter p, torch.Tensor grad);

    /// <summary>The named state tensor of a parameter, created as zeros like <paramref name="like"/> on first use.</summary>
    protected torch.Tensor State(int index, string name, torch.Tensor like)
    {
        if (_state[index].TryGetValue(name, out var t)) return t;
        t = torch.zeros_like(like).DetachFromDisposeScope();
        _state[index][name] = t;
        return t;
    }

    /// <summary>A copy of the state, for checkpoints.</summary>
    public OptimizerState SaveState()
    {
        var tensors = new Dictionary<string, torch.Tensor>();
        for (int i = 0; i < _state.Length; i++)
            foreach (var (name, t) in _state[i])
                tensors[$"{i}.{name}"] = t.detach().clone().DetachFromDisposeScope();
        return new OptimizerState(Name, StepCount, Lr, InitialLr, Parameters.Count, tensors);
    }

    /// <summary>Restores a state saved by <see cref="SaveState"/> (copies the tensors; the argument stays the caller's).</summary>
    public void LoadState(OptimizerState state, string source = "optimizer state")
    {
        if (state.OptimizerName != Name)
            throw new LoraLabException($"{source}: saved by optimizer '{state.OptimizerName}' but this run uses '{Name}'; resume with the same optimizer.name");
        if (state.ParameterCount != Parameters.Count)
            throw new LoraLabException($"{source}: has state for {state.ParameterCount} trainable parameters but the model has {Parameters.Count}; " +
                "resume with the same method and LoRA settings");
        var fresh = new Dictionary<string, torch.Tensor>[_state.Length];
        for (int i = 0; i < fresh.Length; i++) fresh[i] = new Dictionary<string, torch.Tensor>();
        foreach (var (key, t) in state.Tensors)
        {
            int dot = key.IndexOf('.');
            if (dot <= 0 || !int.TryParse(key[..dot], out int i) || i < 0 || i >= Parameters.Count)
                throw new LoraLabException($"{source}: tensor '{key}' is not named '<parameter index>.<state>'");
            string name = key[(dot + 1)..];
            if (name != "step" && !t.shape.SequenceEqual(Parameters[i].shape))
                throw new LoraLabException($"{source}: tensor '{key}' has shape [{string.Join(", ", t.shape)}] but parameter {i} has " +
                    $"[{string.Join(", ", Parameters[i].shape)}]");
            fresh[i][name] = t.detach().to(Parameters[i].device).clone().DetachFromDisposeScope();
        }
        for (int i = 0; i < _state.Length; i++)
        {
            foreach (var t in _state[i].Values) t.Dispose();
            _state[i] = fresh[i];
        }
        StepCount = state.Step;
        Lr = state.Lr;
        InitialLr = state.InitialLr;
    }

    public void Dispose()
    {
        foreach (var s in _state)
        {
            foreach (var t in s.Values) t.Dispose();
            s.Clear();
        }
        GC.SuppressFinalize(this);
    }
}
