using System.Text;

namespace LoraLab.Tokenization;

/// <summary>
/// SentencePiece's BPE segmentation of a normalized text, as Google's sentencepiece does it (bpe_model.cc):
/// <list type="number">
/// <item>The text is split into symbols: the longest user-defined piece at each position (frozen: never merged),
/// else one character.</item>
/// <item>Every adjacent pair whose concatenation is a normal, user-defined or unused piece is a candidate scored by
/// that piece's score. Repeatedly the candidate with the HIGHEST score is merged, ties going to the LEFTMOST pair
/// (smallest left position); a merge makes new candidates with the merged symbol's neighbours.</item>
/// <item>A final symbol that is an unused piece is split back into the two symbols it was merged from (recursively).</item>
/// <item>Each symbol's id: control/unknown/byte pieces first, then the other pieces, else unknown. Unknown symbols become
/// one byte piece per UTF-8 byte with byte_fallback; without it, a run of unknown symbols is one unknown id.</item>
/// </list>
/// </summary>
internal sealed class SentencePieceBpe
{
    private readonly bool _byteFallback;
    private readonly Dictionary<string, int> _pieces = new(StringComparer.Ordinal);   // normal, user-defined, unused
    private readonly Dictionary<string, int> _reserved = new(StringComparer.Ordinal); // control, unknown, byte
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _pieceLookup;
    private readonly Dictionary<long, int> _pairs = []; // (left piece id, right piece id) → id of their concatenation
    private readonly float[] _scores;
    private readonly int[] _types;
    private readonly bool[] _final; // a symbol spelling this piece is output as this id (not unused, not shadowed by a reserved piece)
    private readonly Dictionary<char, string[]> _userDefinedByFirstChar; // longest first
    private readonly int[] _byteIds = new int[256];
    private readonly int _unkId = -1;

    public SentencePieceBpe(SentencePieceModelFile model, string source)
    {
        _byteFallback = model.ByteFallback;
        var userDefined = new List<string>();
        for (int i = 0; i < model.Pieces.Count; i++)
        {
            string piece = model.Pieces[i];
            int type = model.Types[i];
            if (piece.Length == 0) throw new LoraLabException($"tokenizer {source}: piece {i} is empty; sentencepiece refuses such a model");
            bool normal = type is SentencePieceModelFile.TypeNormal or SentencePieceModelFile.TypeUserDefined or SentencePieceModelFile.TypeUnused;
            if (!(normal ? _pieces : _reserved).TryAdd(piece, i))
                throw new LoraLabException($"tokenizer {source}: piece \"{piece}\" (id {i}) is defined twice; sentencepiece refuses such a model");
            if (type == SentencePieceModelFile.TypeUserDefined) userDefined.Add(piece);
            if (type == SentencePieceModelFile.TypeByte && (!model.ByteFallback || ByteOf(piece) == null))
                throw new LoraLabException($"tokenizer {source}: byte piece \"{piece}\" (id {i}) is invalid: byte pieces are <0x00>..<0xFF> "
                    + "and need trainer_spec.byte_fallback; sentencepiece refuses such a model");
            if (type == SentencePieceModelFile.TypeUnknown)
            {
                if (_unkId >= 0) throw new LoraLabException($"tokenizer {source} has two unknown pieces (ids {_unkId} and {i}); it must have one");
                _unkId = i;
            }
        }
        if (_unkId < 0) throw new LoraLabException($"tokenizer {source} has no unknown piece (type UNKNOWN, usually \"<unk>\"); sentencepiece needs one");
        if (model.ByteFallback)
        {
            for (int b = 0; b < 256; b++)
            {
                string name = $"<0x{b:X2}>";
                _byteIds[b] = _reserved.TryGetValue(name, out int id) && model.Types[id] == SentencePieceModelFile.TypeByte ? id
                    : throw new LoraLabException($"tokenizer {source} sets byte_fallback but has no byte piece {name}; it needs all 256");
            }
        }
        _pieceLookup = _pieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _scores = model.Scores.ToArray();
        _types = model.Types.ToArray();
        _final = new bool[model.Pieces.Count];
        foreach (var (piece, id) in _pieces) _final[id] = _types[id] != SentencePieceModelFile.TypeUnused && !_reserved.ContainsKey(piece);
        // Every split of a piece into two pieces (at code-point boundaries), so that merging two symbols that are
        // pieces is an integer lookup; a symbol that is not a piece falls back to looking up the concatenated text.
        foreach (var (piece, id) in _pieces)
        {
            for (int cut = 1; cut < piece.Length; cut++)
            {
                if (char.IsLowSurrogate(piece[cut])) continue;
                if (_pieceLookup.TryGetValue(piece.AsSpan(0, cut), out int l) && _pieceLookup.TryGetValue(piece.AsSpan(cut), out int r))
                    _pairs[Key(l, r)] = id;
            }
        }
        _userDefinedByFirstChar = userDefined.GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Length).ToArray());
    }

    /// <summary>sentencepiece's PieceToId: reserved pieces first, then the others, else the unknown id.</summary>
    public int PieceToId(string piece) =>
        _reserved.TryGetValue(piece, out int id) ? id : _pieces.TryGetValue(piece, out id) ? id : _unkId;

    /// <summary>Appends the ids of <paramref name="normalized"/> (the normalizer's output) to <paramref name="output"/>.</summary>
    public void Encode(string normalized, List<int> output)
    {
        bool prevUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var (final, symbol) in Segment(normalized))
        {
            int id = symbol == null ? final : PieceToId(symbol);
            bool unknown = id == _unkId;
            if (unknown && _byteFallback)
            {
                foreach (Rune r in symbol!.EnumerateRunes()) // only a text symbol can be unknown
                {
                    int n = r.EncodeToUtf8(utf8);
                    for (int i = 0; i < n; i++) output.Add(_byteIds[utf8[i]]);
                }
            }
            else if (!(unknown && prevUnknown)) output.Add(id); // a run of unknown symbols is one unknown piece
            prevUnknown = unknown;
        }
    }

    /// <summary>
    /// The symbols left after merging, in order (unused pieces already split back): the output id when the symbol is a
    /// piece that is output as itself, else (-1, the symbol's text) for <see cref="PieceToId"/> to resolve.
    /// </summary>
    private List<(int Id, string? Text)> Segment(string text)
    {
        // Symbols are spans [start, start+length) of text with the id of the piece they spell (-1: not a piece).
        var start = new int[text.Length];
        var length = new int[text.Length];
        var pieceId = new int[text.Length];
        var frozen = new bool[text.Length];
        int count = 0;
        for (int i = 0; i < text.Length; count++)
        {
            int n = UserDefinedAt(text, i);
            frozen[count] = n > 0;
            if (n == 0) n = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            start[count] = i;
            length[count] = n;
            pieceId[count] = _pieceLookup.TryGetValue(text.AsSpan(i, n), out int id) ? id : -1;
            i += n;
        }
        var next = new int[count];
        var prev = new int[count];
        for (int i = 0; i < count; i++)
        {
            next[i] = i + 1 < count ? i + 1 : -1;
            prev[i] = i - 1;
        }

        // Candidates ordered by (higher score, then smaller left position); Size detects stale entries: a pair is still
        // current when neither symbol was absorbed and their lengths add up to the length recorded when it was pushed.
        var agenda = new PriorityQueue<(int Left, int Right, int Size, int Merged), (float NegScore, int Left)>();
        var unusedSplits = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        void MaybeAdd(int left, int right)
        {
            if (left < 0 || right < 0 || frozen[left] || frozen[right]) return;
            int id;
            var merged = text.AsSpan(start[left], length[left] + length[right]);
            if (pieceId[left] >= 0 && pieceId[right] >= 0 ? !_pairs.TryGetValue(Key(pieceId[left], pieceId[right]), out id)
                : !_pieceLookup.TryGetValue(merged, out id)) return;
            agenda.Enqueue((left, right, merged.Length, id), (-_scores[id], left));
            if (_types[id] == SentencePieceModelFile.TypeUnused)
                unusedSplits[merged.ToString()] = (text.Substring(start[left], length[left]), text.Substring(start[right], length[right]));
        }
        for (int i = 1; i < count; i++) MaybeAdd(i - 1, i);

        while (agenda.TryDequeue(out var top, out _))
        {
            int left = top.Left, right = top.Right;
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != top.Size) continue; // stale
            length[left] += length[right];
            length[right] = 0;
            pieceId[left] = top.Merged;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            MaybeAdd(prev[left], left);
            MaybeAdd(left, next[left]);
        }

        var symbols = new List<(int, string?)>(count);
        for (int i = 0; i >= 0 && count > 0; i = next[i])
        {
            if (pieceId[i] >= 0 && _final[pieceId[i]]) symbols.Add((pieceId[i], null));
            else Resegment(text.Substring(start[i], length[i]), unusedSplits, symbols);
        }
        return symbols;
    }

    private void Resegment(string symbol, Dictionary<string, (string Left, string Right)> unusedSplits, List<(int, string?)> output)
    {
        if (_pieces.TryGetValue(symbol, out int id) && !_reserved.ContainsKey(symbol)
            && _types[id] == SentencePieceModelFile.TypeUnused && unusedSplits.TryGetValue(symbol, out var split))
        {
            Resegment(split.Left, unusedSplits, output);
            Resegment(split.Right, unusedSplits, output);
            return;
        }
        output.Add((-1, symbol));
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>The byte a "&lt;0xHH&gt;" piece stands for, or null.</summary>
    public static int? ByteOf(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b) ? b : null;

    /// <summary>Length (chars) of the longest user-defined piece starting at <paramref name="i"/>, or 0.</summary>
    private int UserDefinedAt(string text, int i)
    {
        if (!_userDefinedByFirstChar.TryGetValue(text[i], out var candidates)) return 0;
        foreach (string p in candidates)
        {
            if (i + p.Length <= text.Length && string.CompareOrdinal(text, i, p, 0, p.Length) == 0) return p.Length;
        }
        return 0;
    }
}
