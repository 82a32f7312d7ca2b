using LoraLab.Data;
using LoraLab.Models.Llama;
using LoraLab.Tokenization;
using LoraLab.Training.Config;

namespace LoraLab.Training;

/// <summary>
/// The samples of a <c>data:</c> / <c>eval_data:</c> section: cpt → a <see cref="TokenCache"/> (built once under the
/// cache directory, named by the section) packed by <see cref="CptDataset"/>; ift → an in-memory <see cref="IftDataset"/>
/// (one padded sample per example) or, with <c>packing: true</c>, a <see cref="PackedIftDataset"/>. Directories and
/// file-name patterns in <c>paths</c> are expanded by <see cref="DataFiles"/>.
/// </summary>
public sealed class TrainingData : IDisposable
{
    private readonly TokenCache? _cache;

    private TrainingData(ITokenSampleSource source, TokenCache? cache, string summary)
    {
        Source = source;
        _cache = cache;
        Summary = summary;
    }

    public ITokenSampleSource Source { get; }

    /// <summary>One line for the log.</summary>
    public string Summary { get; }

    /// <summary>Samples a program gives directly (<see cref="TrainerOptions.TrainSource"/>), with no files behind them.</summary>
    public static TrainingData FromSource(ITokenSampleSource source, string name) =>
        new(source, null, $"{name}: {source.Count} samples given by the caller (the section's files are not read)");

    /// <param name="name">"data" or "eval_data" (for messages and the cache file name).</param>
    public static TrainingData Open(DataSection section, ITokenizer tokenizer, string defaultCacheDir, string name)
    {
        var files = DataFiles.Expand(section.Paths);
        if (section.Regime == DataRegime.Ift)
        {
            var ift = new IftDataset(files, tokenizer, section.IftFormat(name), section.SeqLen, section.SkipBadRows);
            if (section.Packing == true)
            {
                var packed = new PackedIftDataset(ift);
                return new TrainingData(packed, null, $"{name}: ift, {packed.Summary()}");
            }
            return new TrainingData(ift, null, $"{name}: ift, {ift.Summary()}");
        }
        string cacheDir = section.CacheDir ?? defaultCacheDir;
        var cache = TokenCache.BuildOrOpen(files, tokenizer, Path.Combine(cacheDir, name + ".tokens"), section.TextField, section.SkipBadRows);
        try
        {
            var cpt = new CptDataset(cache, section.SeqLen);
            return new TrainingData(cpt, cache, $"{name}: cpt, {cache.Documents} documents, {cache.Count} tokens → {cpt.Count} windows of " +
                $"{section.SeqLen}{(cache.WasBuilt ? " (token cache built)" : "")}");
        }
        catch
        {
            cache.Dispose();
            throw;
        }
    }

    public void Dispose() => _cache?.Dispose();

    /// <summary>
    /// A warning, not an error, when data windows run past max_position_embeddings: RoPE has no hard limit and training
    /// longer is how context is extended, but positions the base model never saw degrade it unless that is the intent
    /// (transformers likewise only warns when inputs exceed the model's maximum length).
    /// </summary>
    internal static IEnumerable<string> PositionLimitWarnings(RunConfig config, LlamaConfig model)
    {
        foreach (var (name, data) in new[] { ("data", config.Data), ("eval_data", config.EvalData) })
        {
            if (data is { } d && d.SeqLen > model.MaxPositionEmbeddings)
                yield return $"warning: {name}.seq_len {d.SeqLen} exceeds the model's max_position_embeddings {model.MaxPositionEmbeddings} (config.json): "
                    + "positions beyond it were never trained and RoPE extrapolates there; lower seq_len unless you mean to extend the context.";
        }
    }
}
