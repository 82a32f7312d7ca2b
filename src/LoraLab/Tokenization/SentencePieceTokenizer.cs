using Microsoft.ML.Tokenizers;

namespace LoraLab.Tokenization;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c> (Llama-2 style BPE with byte fallback), read by Microsoft.ML.Tokenizers.
/// The model's normalizer settings (dummy prefix, extra-whitespace removal) are honoured; BOS/EOS ids come from the model.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly LlamaTokenizer _tokenizer;

    private SentencePieceTokenizer(string source, LlamaTokenizer tokenizer)
    {
        Source = source;
        _tokenizer = tokenizer;
        VocabSize = tokenizer.Vocabulary.Count == 0 ? 0 : tokenizer.Vocabulary.Values.Max() + 1;
    }

    /// <summary>The file this was read from (for messages).</summary>
    public string Source { get; }

    public int VocabSize { get; }

    public int? BosId => _tokenizer.BeginningOfSentenceId >= 0 ? _tokenizer.BeginningOfSentenceId : null;

    public int? EosId => _tokenizer.EndOfSentenceId >= 0 ? _tokenizer.EndOfSentenceId : null;

    public static SentencePieceTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        try
        {
            using var stream = File.OpenRead(path);
            return new SentencePieceTokenizer(path, LlamaTokenizer.Create(stream, addBeginOfSentence: true, addEndOfSentence: false));
        }
        catch (Exception e) when (e is not LoraLabException)
        {
            throw new LoraLabException($"tokenizer {path} is not a readable SentencePiece BPE model ({e.Message}); expected a Llama-style tokenizer.model", e);
        }
    }

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        // BOS/EOS are added here rather than by ML.Tokenizers, which adds none to an empty text (the reference library
        // and Hugging Face give [BOS] for "").
        var ids = _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: true, considerNormalization: true);
        var result = new List<int>(ids.Count + 2);
        if (addBos && BosId is int bos) result.Add(bos);
        result.AddRange(ids);
        if (addEos && EosId is int eos) result.Add(eos);
        return result.ToArray();
    }

    public string Decode(IReadOnlyList<int> ids)
    {
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new LoraLabException($"token id {id} is outside tokenizer {Source}'s vocabulary 0..{VocabSize - 1}");
        }
        return _tokenizer.Decode(ids, considerSpecialTokens: false);
    }
}
