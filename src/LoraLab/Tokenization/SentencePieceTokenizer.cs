using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// A SentencePiece BPE <c>tokenizer.model</c> (Llama-2 style), encoded and decoded as Google's sentencepiece does:
/// <see cref="SentencePieceNormalizer"/> then <see cref="SentencePieceBpe"/>. The settings that act at run time are read
/// from the model (add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces, byte_fallback, unk_surface); a model
/// needing what is not implemented (a character-rewriting normalizer such as nmt_nfkc, a denormalizer, whitespace as
/// suffix, a Unigram/word/char model) is refused by name. BOS/EOS are the model's bos_piece/eos_piece when they are
/// control pieces.
/// <para>
/// Decoding follows sentencepiece's: control pieces vanish, the unknown piece becomes unk_surface (" ⁇ "), runs of byte
/// pieces are decoded as UTF-8 with each invalid byte becoming U+FFFD, '▁' becomes a space, and while nothing visible
/// has been written the leading '▁' of a piece is dropped (once with add_dummy_prefix; with remove_extra_whitespaces on
/// every such piece).
/// </para>
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly SentencePieceModelFile _model;
    private readonly SentencePieceNormalizer _normalizer;
    private readonly SentencePieceBpe _bpe;

    /// <summary>A tokenizer over an already read <paramref name="model"/>; refuses settings LoraLab does not implement.</summary>
    internal SentencePieceTokenizer(string source, SentencePieceModelFile model)
    {
        Source = source;
        _model = model;
        if (model.ModelType != SentencePieceModelFile.ModelBpe)
        {
            string kind = model.ModelType switch { 1 => "Unigram", 3 => "word", 4 => "char", int t => $"type-{t}" };
            throw new LoraLabException($"tokenizer {source} is a SentencePiece {kind} model; LoraLab reads BPE models (Llama style) only");
        }
        _normalizer = new SentencePieceNormalizer(model, source);
        _bpe = new SentencePieceBpe(model, source);
        BosId = ControlId(model.BosPiece);
        EosId = ControlId(model.EosPiece);
    }

    /// <summary>The file this was read from (for messages).</summary>
    public string Source { get; }

    public int VocabSize => _model.Pieces.Count;

    public int? BosId { get; }

    public int? EosId { get; }

    public static SentencePieceTokenizer Load(string path) => new(path, SentencePieceModelFile.Read(path));

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 2);
        if (addBos && BosId is int bos) ids.Add(bos);
        _bpe.Encode(_normalizer.Normalize(text), ids);
        if (addEos && EosId is int eos) ids.Add(eos);
        return ids.ToArray();
    }

    public string IdToPiece(int id) => _model.Pieces[CheckId(id)];

    public string Decode(IReadOnlyList<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool expectDummySpace = true, consumedDummySpace = false;
        foreach (int raw in ids)
        {
            int id = _bpe.PieceToId(_model.Pieces[CheckId(raw)]); // sentencepiece decodes the id's piece string
            int type = _model.Types[id];
            if (type == SentencePieceModelFile.TypeByte)
            {
                bytes.Add((byte)SentencePieceBpe.ByteOf(_model.Pieces[id])!.Value);
                continue;
            }
            FlushBytes(bytes, text);
            if (consumedDummySpace || text.Length > 0) expectDummySpace = false;
            consumedDummySpace = false;
            if (type == SentencePieceModelFile.TypeControl) continue;
            if (type == SentencePieceModelFile.TypeUnknown)
            {
                text.Append(_model.UnkSurface);
                continue;
            }
            string piece = _model.Pieces[id];
            if (expectDummySpace && (_model.AddDummyPrefix || _model.RemoveExtraWhitespaces) && piece.StartsWith('\u2581'))
            {
                piece = piece[1..];
                consumedDummySpace = !_model.RemoveExtraWhitespaces;
            }
            text.Append(piece.Replace('\u2581', ' '));
        }
        FlushBytes(bytes, text);
        return text.ToString();
    }

    /// <summary>Byte pieces decode as UTF-8, each byte that does not start a valid sequence becoming U+FFFD.</summary>
    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (span.Length > 0)
        {
            if (Rune.DecodeFromUtf8(span, out Rune r, out int used) == System.Buffers.OperationStatus.Done)
            {
                text.Append(r.ToString());
                span = span[used..];
            }
            else
            {
                text.Append('\uFFFD');
                span = span[1..];
            }
        }
        bytes.Clear();
    }

    private int CheckId(int id) => (uint)id < (uint)_model.Pieces.Count ? id
        : throw new LoraLabException($"token id {id} is outside tokenizer {Source}'s vocabulary 0..{_model.Pieces.Count - 1}");

    private int? ControlId(string piece)
    {
        int id = _bpe.PieceToId(piece);
        return id >= 0 && _model.Types[id] == SentencePieceModelFile.TypeControl ? id : null;
    }
}
