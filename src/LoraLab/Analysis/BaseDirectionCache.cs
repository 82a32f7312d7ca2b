using LoraLab.Checkpoints;
using static TorchSharp.torch;

namespace LoraLab.Analysis;

/// <summary>
/// The base weights' singular directions (<see cref="IntruderDimensions.BaseDirections"/>) by base model and projection,
/// each read and computed on first use and kept (float64) until disposed: every checkpoint of a run is counted against
/// the same base, whose SVDs would otherwise be redone for each one.
/// </summary>
public sealed class BaseDirectionCache : IDisposable
{
    private readonly Dictionary<(string Base, string Module), Tensor> directions = new();
    private readonly Dictionary<string, NamedWeights> bases = new(); // opened on first use, kept open until disposed

    /// <summary>How many projections' directions are kept.</summary>
    public int Count => directions.Count;

    /// <summary>
    /// The directions of <paramref name="module"/> (e.g. "model.layers.0.self_attn.q_proj") of the base model at
    /// <paramref name="basePath"/>, read from its "{module}.weight" the first time. The tensor stays owned by the cache.
    /// </summary>
    public Tensor For(string basePath, string module)
    {
        var key = (Path.GetFullPath(basePath), module);
        if (directions.TryGetValue(key, out var known)) return known;
        using var scope = NewDisposeScope();
        var computed = IntruderDimensions.BaseDirections(Base(key.Item1).Read(module + ".weight", ScalarType.Float64)).DetachFromDisposeScope(); // (out, r')
        directions[key] = computed;
        return computed;
    }

    /// <summary>The base model's weights at <paramref name="basePath"/>, opened on first use; owned by the cache (do not dispose).</summary>
    public NamedWeights Base(string basePath)
    {
        string path = Path.GetFullPath(basePath);
        if (!bases.TryGetValue(path, out var weights)) bases[path] = weights = NamedWeights.Open(path);
        return weights;
    }

    public void Dispose()
    {
        foreach (var t in directions.Values) t.Dispose();
        directions.Clear();
        foreach (var w in bases.Values) w.Dispose();
        bases.Clear();
    }
}
