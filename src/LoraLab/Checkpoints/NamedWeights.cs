using static TorchSharp.torch;

namespace LoraLab.Checkpoints;

/// <summary>
/// Weight tensors read one at a time by their Hugging Face state-dict key, whatever holds them: a model directory
/// (safetensors, sharded or not), one safetensors file (a training checkpoint's model.safetensors, a PEFT adapter) or a
/// llama2.c checkpoint (read whole, converted to HF names). Analyses stream through it instead of building a model.
/// </summary>
public sealed class NamedWeights : IDisposable
{
    private readonly Func<string, bool> _contains;
    private readonly Func<string, ScalarType, Tensor> _read;
    private readonly Action _dispose;

    private NamedWeights(string path, IReadOnlyCollection<string> names, Func<string, bool> contains, Func<string, ScalarType, Tensor> read, Action dispose)
    {
        Path = path;
        Names = names;
        _contains = contains;
        _read = read;
        _dispose = dispose;
    }

    /// <summary>The file or directory the weights come from (for messages).</summary>
    public string Path { get; }

    public IReadOnlyCollection<string> Names { get; }

    public bool Contains(string key) => _contains(key);

    /// <summary>Reads one tensor as <paramref name="dtype"/>; the caller disposes it.</summary>
    public Tensor Read(string key, ScalarType dtype)
    {
        if (!Contains(key)) throw new LoraLabException($"{Path}: tensor '{key}' is missing; the weights do not match the base model's architecture.");
        return _read(key, dtype);
    }

    /// <summary>A Hugging Face model directory, a llama2.c <c>.bin</c> file, or a single <c>.safetensors</c> file.</summary>
    public static NamedWeights Open(string path)
    {
        if (Directory.Exists(path) || (File.Exists(path) && path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
        {
            var ckpt = SafetensorsCheckpoint.Open(path);
            return new NamedWeights(path, ckpt.TensorNames, ckpt.Contains, ckpt.ReadTensor, ckpt.Dispose);
        }
        if (File.Exists(path) && path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            var (_, weights) = Llama2cCheckpoint.Load(path);
            return new NamedWeights(path, weights.Keys, weights.ContainsKey, (k, dtype) => weights[k].to_type(dtype, copy: true),
                () => { foreach (var t in weights.Values) t.Dispose(); });
        }
        throw new LoraLabException($"{path}: not found, or not a model directory, .safetensors file or llama2.c .bin file.");
    }

    /// <summary>
    /// A single safetensors file whose keys are renamed by <paramref name="rename"/> (e.g. PEFT's "base_model.model."
    /// prefix stripped); keys it maps to null are left out.
    /// </summary>
    public static NamedWeights OpenRenamed(string file, Func<string, string?> rename)
    {
        var reader = SafetensorsReader.Open(file);
        var map = new Dictionary<string, string>();
        foreach (var info in reader.Tensors)
            if (rename(info.Name) is string key) map[key] = info.Name;
        return new NamedWeights(file, map.Keys, map.ContainsKey, (k, dtype) => reader.ReadTensor(map[k], dtype), reader.Dispose);
    }

    public void Dispose() => _dispose();
}
