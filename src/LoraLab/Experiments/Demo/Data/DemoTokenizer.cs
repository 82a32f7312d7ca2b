using System.Text;
using LoraLab.Tokenization;

namespace LoraLab.Experiments.Demo.Data;

/// <summary>
/// The demo's character-level tokenizer: UNK = 0 "&lt;unk&gt;", BOS = 1 "&lt;s&gt;", EOS = 2 "&lt;/s&gt;", 3 = "\n",
/// 4 = "▁" (space, SentencePiece style), then every printable ASCII character '!'..'~' (ids 5..98): 99 ids, a superset of
/// everything <see cref="StoryCorpus"/>, <see cref="ClozeTest"/> and <see cref="ArithmeticProblems"/> emit. Any other
/// character becomes &lt;unk&gt; (consecutive ones fused, as Hugging Face's fuse_unk), or, with byte fallback, its UTF-8
/// bytes "&lt;0x00&gt;".."&lt;0xFF&gt;" (ids 99..354; 355 ids, lossless on any text).
/// <para>
/// <see cref="WriteHfFiles"/> writes it as a Llama-2 style tokenizer.json (BPE without merges, byte_fallback, normalizer
/// Replace(" " → "▁"), no dummy prefix) with tokenizer_config.json and special_tokens_map.json, so that
/// <see cref="TokenizerLoader.LoadFromDirectory"/> (and Hugging Face tokenizers) give the same ids as <see cref="Encode"/>.
/// </para>
/// </summary>
public sealed class DemoTokenizer : ITokenizer
{
    public const int UnkTokenId = 0, BosTokenId = 1, EosTokenId = 2, NewlineId = 3, SpaceId = 4, FirstPrintableId = 5;

    /// <summary>The SentencePiece word-boundary mark that stands for a space in the vocabulary.</summary>
    public const char SpaceMark = '\u2581';

    private readonly string[] _pieces;
    private readonly int _byteOffset;

    private DemoTokenizer(bool byteFallback)
    {
        ByteFallback = byteFallback;
        var pieces = new List<string> { "<unk>", "<s>", "</s>", "\n", SpaceMark.ToString() };
        for (char c = '!'; c <= '~'; c++) pieces.Add(c.ToString());
        _byteOffset = pieces.Count;
        if (byteFallback)
        {
            for (int b = 0; b < 256; b++) pieces.Add($"<0x{b:X2}>");
        }
        _pieces = pieces.ToArray();
    }

    /// <summary>The tokenizer without byte fallback: 99 ids, unknown characters become &lt;unk&gt;.</summary>
    public static DemoTokenizer Create() => new(byteFallback: false);

    /// <summary>The tokenizer with 256 byte pieces appended: 355 ids, every text round-trips.</summary>
    public static DemoTokenizer CreateWithByteFallback() => new(byteFallback: true);

    /// <summary>Whether the byte pieces are in the vocabulary.</summary>
    public bool ByteFallback { get; }

    public int VocabSize => _pieces.Length;

    public int? BosId => BosTokenId;

    public int? EosId => EosTokenId;

    /// <summary>The vocabulary in id order (SentencePiece pieces: "▁" for space, "&lt;0xHH&gt;" for bytes).</summary>
    public IReadOnlyList<string> Pieces => _pieces;

    /// <summary>Whether <paramref name="c"/> has its own id.</summary>
    public static bool Covers(char c) => c is '\n' or ' ' or SpaceMark || (c >= '!' && c <= '~');

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 2);
        if (addBos) ids.Add(BosTokenId);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune r in text.EnumerateRunes())
        {
            int v = r.Value;
            if (v == ' ' || v == SpaceMark) ids.Add(SpaceId);
            else if (v == '\n') ids.Add(NewlineId);
            else if (v >= '!' && v <= '~') ids.Add(FirstPrintableId + (v - '!'));
            else if (ByteFallback)
            {
                int n = r.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) ids.Add(_byteOffset + utf8[i]);
            }
            else if (ids.Count == 0 || ids[^1] != UnkTokenId) ids.Add(UnkTokenId); // fuse_unk
        }
        if (addEos) ids.Add(EosTokenId);
        return ids.ToArray();
    }

    public string IdToPiece(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id]
        : throw new LoraLabException($"token id {id} is outside the demo tokenizer's vocabulary 0..{_pieces.Length - 1}");

    public string Decode(IReadOnlyList<int> ids)
    {
        var text = new StringBuilder(ids.Count);
        var bytes = new List<byte>();
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            try
            {
                text.Append(strict.GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                text.Append('\uFFFD', bytes.Count); // Hugging Face's ByteFallback decoder: one U+FFFD per byte of an invalid run
            }
            bytes.Clear();
        }
        foreach (int id in ids)
        {
            if (id < 0 || id >= _pieces.Length)
                throw new LoraLabException($"token id {id} is not in the demo tokenizer (vocabulary 0..{_pieces.Length - 1})");
            if (id >= _byteOffset)
            {
                bytes.Add((byte)(id - _byteOffset));
                continue;
            }
            FlushBytes();
            if (id == SpaceId) text.Append(' ');
            else if (id == NewlineId) text.Append('\n');
            else if (id >= FirstPrintableId) text.Append(_pieces[id]);
            // UNK, BOS, EOS are special tokens: dropped.
        }
        FlushBytes();
        return text.ToString();
    }

    /// <summary>Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into <paramref name="outDir"/> (atomically).</summary>
    public void WriteHfFiles(string outDir)
    {
        Directory.CreateDirectory(outDir);
        var types = new int[_pieces.Length];
        for (int i = 0; i < types.Length; i++)
        {
            types[i] = i switch
            {
                UnkTokenId => SentencePieceModelFile.TypeUnknown,
                BosTokenId or EosTokenId => SentencePieceModelFile.TypeControl,
                _ when i >= _byteOffset => SentencePieceModelFile.TypeByte,
                _ => SentencePieceModelFile.TypeNormal,
            };
        }
        // Scores only order merges; single characters have none.
        var scores = new float[_pieces.Length];
        TokenizerJsonWriter.WriteLlama2Style(outDir, _pieces, scores, types, UnkTokenId, BosTokenId, EosTokenId, addDummyPrefix: false);
    }
}
