namespace LoraLab.Tokenization;

/// <summary>
/// A text ↔ token-id mapping for a Llama-family model. Implementations: SentencePiece <c>tokenizer.model</c>,
/// Hugging Face <c>tokenizer.json</c> and llama2.c <c>tok*.bin</c>.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids (the model's vocab_size must be at least this).</summary>
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or null if the tokenizer has none.</summary>
    int? BosId { get; }

    /// <summary>End-of-sequence id, or null if the tokenizer has none.</summary>
    int? EosId { get; }

    /// <summary>Encodes text; prepends BOS / appends EOS when asked (and when the tokenizer has them).</summary>
    int[] Encode(string text, bool addBos = true, bool addEos = false);

    /// <summary>
    /// The vocabulary entry of <paramref name="id"/>, spelled as the tokenizer file stores it ("▁the" and "&lt;0x0A&gt;" in
    /// SentencePiece vocabularies, "Ġthe" in byte-level ones, " the" in llama2.c's); an id outside the vocabulary is an error.
    /// </summary>
    string IdToPiece(int id);

    /// <summary>Decodes ids to text; special tokens (BOS, EOS, …) are dropped.</summary>
    string Decode(IReadOnlyList<int> ids);
}
