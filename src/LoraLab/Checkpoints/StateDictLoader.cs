using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Copies named tensors into a module's parameters and buffers by state-dict key, converting dtype.
/// Every parameter must be supplied with the right shape; extra tensors are refused (listed by name); a tensor holding
/// NaN or Inf is refused naming its file (one isfinite pass per tensor, cheap beside reading it): such weights load
/// and then generate nothing or train to NaN without a word.
/// </summary>
public static class StateDictLoader
{
    /// <param name="module">Target module; its state-dict keys are the Hugging Face names.</param>
    /// <param name="names">Tensor names the source holds.</param>
    /// <param name="read">Reads one tensor by name (the loader disposes it after copying).</param>
    /// <param name="source">File or directory, for error messages.</param>
    /// <param name="ignore">Source names that may be present without a matching parameter (e.g. rotary inv_freq buffers).</param>
    /// <param name="optional">Module keys the source may lack; those parameters keep their values (e.g. fresh LoRA adapters).</param>
    /// <param name="fileOf">The file holding a tensor, for messages (default: <paramref name="source"/>).</param>
    public static void Load(nn.Module module, IEnumerable<string> names, Func<string, Tensor> read, string source,
        Func<string, bool>? ignore = null, Func<string, bool>? optional = null, Func<string, string>? fileOf = null)
    {
        var available = new HashSet<string>(names);
        var targets = module.state_dict().Where(kv => available.Contains(kv.Key) || !(optional?.Invoke(kv.Key) ?? false))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = targets.Keys.Where(k => !available.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new LoraLabException($"{source}: missing tensor(s) {Describe(missing)}; the checkpoint does not match this model's config.");
        var unexpected = available.Where(n => !targets.ContainsKey(n) && !(ignore?.Invoke(n) ?? false)).ToList();
        if (unexpected.Count > 0)
            throw new LoraLabException($"{source}: unexpected tensor(s) {Describe(unexpected)}; the checkpoint does not match this model's config.");
        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            using var scope = NewDisposeScope();
            var value = read(name);
            if (!value.shape.SequenceEqual(target.shape))
                throw new LoraLabException($"{source}: tensor '{name}' has shape [{string.Join(", ", value.shape)}], the model expects " +
                    $"[{string.Join(", ", target.shape)}].");
            CheckFinite(value, name, fileOf?.Invoke(name) ?? source);
            target.copy_(value);
        }
    }

    private static void CheckFinite(Tensor value, string name, string file)
    {
        if (!value.is_floating_point() || isfinite(value).all().item<bool>()) return;
        long bad = isfinite(value).logical_not().sum().item<long>();
        throw new LoraLabException(
            $"{file}: tensor '{name}' holds {bad} NaN/Inf value(s) of {value.numel()}; "
            + "the weights are corrupt or come from a diverged run — use another checkpoint.");
    }

    private static string Describe(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(5).Select(n => "'" + n + "'")) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
