using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// The llama2.c tokenizer (<c>tok*.bin</c>): int32 max_token_length, then per token float32 score, int32 byte_len and
/// byte_len raw UTF-8 bytes. The token count is not stored (it is the model's vocab_size).
/// <para>
/// Encoding is exactly llama2.c's: BOS, then (text non-empty) the piece " " as a dummy prefix, each UTF-8 code point
/// looked up as a piece (else one id per byte: byte + 3), then repeatedly merge the adjacent pair whose concatenation
/// is a piece with the highest score (leftmost on ties). Decoding drops BOS/EOS/unk, strips the leading space of the
/// first piece (the one after BOS), turns "&lt;0xHH&gt;" into the raw byte and decodes the bytes as UTF-8.
/// </para>
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    /// <summary>llama2.c's fixed ids.</summary>
    public const int UnkId = 0, BosTokenId = 1, EosTokenId = 2, ByteOffset = 3;

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly Dictionary<string, int> _pieceToId = new(StringComparer.Ordinal);
    private readonly int?[] _byteOfId;
    private readonly PairMerger _merger;
    private readonly int _spaceId;

    private Llama2cTokenizer(string source, int maxTokenLength, string[] pieces, float[] scores)
    {
        Source = source;
        MaxTokenLength = maxTokenLength;
        _pieces = pieces;
        _scores = scores;
        for (int i = 0; i < pieces.Length; i++) _pieceToId.TryAdd(pieces[i], i);
        _byteOfId = pieces.Select(ParseBytePiece).ToArray();
        _spaceId = _pieceToId.TryGetValue(" ", out int s) ? s
            : throw new LoraLabException($"tokenizer {source} has no \" \" piece (llama2.c needs it as the dummy prefix); is it a llama2.c tok*.bin?");
        if (pieces.Length < ByteOffset + 256)
            throw new LoraLabException($"tokenizer {source} has {pieces.Length} pieces; llama2.c needs at least {ByteOffset + 256} (<unk>, <s>, </s> " +
                "and 256 byte pieces)");
        _merger = new PairMerger(BuildPairs());
    }

    /// <summary>The file this was read from (for messages).</summary>
    public string Source { get; }

    /// <summary>The header's max_token_length (bytes of the longest piece).</summary>
    public int MaxTokenLength { get; }

    /// <summary>Pieces as stored (spaces, not '▁'; BOS/EOS as "\n&lt;s&gt;\n" / "\n&lt;/s&gt;\n").</summary>
    public IReadOnlyList<string> Pieces => _pieces;

    /// <summary>Piece scores (BPE merges: -rank).</summary>
    public IReadOnlyList<float> Scores => _scores;

    public int VocabSize => _pieces.Length;

    public int? BosId => BosTokenId;

    public int? EosId => EosTokenId;

    /// <summary>Reads exactly <paramref name="vocabSize"/> tokens (llama2.c ignores anything after them).</summary>
    public static Llama2cTokenizer Load(string path, int vocabSize)
    {
        if (vocabSize <= 0) throw new LoraLabException($"vocab size {vocabSize} for tokenizer {path} must be positive");
        return Read(path, vocabSize);
    }

    /// <summary>Reads tokens until the end of the file (the count is not stored; use when no model header is at hand).</summary>
    public static Llama2cTokenizer Load(string path) => Read(path, null);

    private static Llama2cTokenizer Read(string path, int? vocabSize)
    {
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        byte[] data = File.ReadAllBytes(path);
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: false);
        if (data.Length < 4) throw new LoraLabException($"tokenizer {path} is truncated: {data.Length} bytes, too short for the max_token_length " +
            "header; is it a llama2.c tok*.bin?");
        int maxLen = BitConverter.ToInt32(data, 0);
        if (maxLen <= 0 || maxLen > 1 << 16)
            throw new LoraLabException($"tokenizer {path} is not a llama2.c tok*.bin: max_token_length header is {maxLen}");
        var pieces = new List<string>();
        var scores = new List<float>();
        int offset = 4;
        string expect = vocabSize is int v ? $" (expected {v} tokens, the model's vocab_size)" : "";
        while (vocabSize is int want ? pieces.Count < want : offset < data.Length)
        {
            int index = pieces.Count;
            if (offset + 8 > data.Length)
                throw new LoraLabException($"tokenizer {path} is truncated at token {index}: its score/length header needs bytes " +
                    $"{offset}..{offset + 7} but the file has {data.Length}{expect}");
            float score = BitConverter.ToSingle(data, offset);
            int len = BitConverter.ToInt32(data, offset + 4);
            offset += 8;
            if (len < 0 || len > maxLen)
                throw new LoraLabException($"tokenizer {path} is corrupt at token {index} (offset {offset - 4}): byte length {len} is outside " +
                    $"0..max_token_length={maxLen}");
            if (offset + len > data.Length)
                throw new LoraLabException($"tokenizer {path} is truncated at token {index}: its {len} bytes end at {offset + len} but the file has " +
                    $"{data.Length}{expect}");
            pieces.Add(utf8.GetString(data, offset, len));
            scores.Add(score);
            offset += len;
        }
        return new Llama2cTokenizer(path, maxLen, pieces.ToArray(), scores.ToArray());
    }

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var symbols = new List<int>(text.Length + 1);
        if (text.Length > 0)
        {
            symbols.Add(_spaceId);
            Span<byte> buf = stackalloc byte[4];
            foreach (Rune r in text.EnumerateRunes())
            {
                if (_pieceToId.TryGetValue(r.ToString(), out int id))
                {
                    symbols.Add(id);
                    continue;
                }
                int n = r.EncodeToUtf8(buf);
                for (int i = 0; i < n; i++) symbols.Add(buf[i] + ByteOffset);
            }
        }
        var output = new List<int>(symbols.Count + 2);
        if (addBos) output.Add(BosTokenId);
        _merger.Merge(symbols, output);
        if (addEos) output.Add(EosTokenId);
        return output.ToArray();
    }

    public string IdToPiece(int id) => (uint)id < (uint)_pieces.Length ? _pieces[id]
        : throw new LoraLabException($"token id {id} is outside tokenizer {Source}'s vocabulary 0..{_pieces.Length - 1}");

    public string Decode(IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        bool atStart = true; // first piece, or the piece right after BOS
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length)
                throw new LoraLabException($"token id {id} is outside tokenizer {Source}'s vocabulary 0..{_pieces.Length - 1}");
            if (id is UnkId or BosTokenId or EosTokenId)
            {
                atStart = id == BosTokenId || atStart;
                continue;
            }
            if (_byteOfId[id] is int b) bytes.Add((byte)b);
            else
            {
                string piece = _pieces[id];
                if (atStart && piece.StartsWith(' ')) piece = piece[1..];
                bytes.AddRange(Encoding.UTF8.GetBytes(piece));
            }
            atStart = false;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Pieces in Hugging Face / SentencePiece spelling: '▁' for spaces, "&lt;s&gt;", "&lt;/s&gt;".</summary>
    public string[] SentencePiecePieces()
    {
        var result = new string[_pieces.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = i switch
            {
                BosTokenId when _pieces[i] == "\n<s>\n" => "<s>",
                EosTokenId when _pieces[i] == "\n</s>\n" => "</s>",
                _ => _pieces[i].Replace(' ', '\u2581'),
            };
        }
        return result;
    }

    private Dictionary<long, (int, double)> BuildPairs()
    {
        // llama2.c merges a pair when the concatenation of the two pieces' strings is itself a piece: enumerate, for
        // every piece, its splits into two pieces (at code-point boundaries: pieces are whole UTF-8 strings).
        var pairs = new Dictionary<long, (int, double)>();
        for (int id = 0; id < _pieces.Length; id++)
        {
            string p = _pieces[id];
            if (_pieceToId[p] != id) continue; // duplicate string: llama2.c's lookup finds one of them
            for (int cut = 1; cut < p.Length; cut++)
            {
                if (char.IsLowSurrogate(p[cut])) continue;
                if (_pieceToId.TryGetValue(p[..cut], out int l) && _pieceToId.TryGetValue(p[cut..], out int r))
                    pairs.TryAdd(PairMerger.Key(l, r), (id, -(double)_scores[id]));
            }
        }
        return pairs;
    }

    private static int? ParseBytePiece(string piece)
    {
        if (piece.Length != 6 || !piece.StartsWith("<0x", StringComparison.Ordinal) || piece[5] != '>') return null;
        return byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out byte b) ? b : null;
    }
}
