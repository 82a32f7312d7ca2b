using System.Text;
using System.Text.Json;

namespace LoraLab.Tokenization;

/// <summary>
/// The "model" of a tokenizer.json when its type is BPE: a word is split into characters (unknown ones become their
/// UTF-8 "&lt;0xHH&gt;" pieces with byte_fallback, else unk), then the adjacent pair with the lowest merge rank is merged
/// until none is left (leftmost first on ties). With ignore_merges a word that is itself in the vocab is one token.
/// </summary>
internal sealed class HfBpeModel
{
    private const int CacheLimit = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _idToToken;
    private readonly PairMerger _merger;
    private readonly int? _unkId;
    private readonly bool _byteFallback, _ignoreMerges, _fuseUnk;
    private readonly int[]? _byteIds;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    private HfBpeModel(Dictionary<string, int> vocab, PairMerger merger, int? unkId, bool byteFallback, bool ignoreMerges, bool fuseUnk)
    {
        _vocab = vocab;
        _idToToken = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab) _idToToken.TryAdd(id, token);
        _merger = merger;
        _unkId = unkId;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _fuseUnk = fuseUnk;
        if (byteFallback)
        {
            var ids = new int[256];
            bool all = true;
            for (int b = 0; b < 256 && all; b++) all = vocab.TryGetValue($"<0x{b:X2}>", out ids[b]);
            _byteIds = all ? ids : null;
        }
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    public int MergeCount => _merger.PairCount;

    public string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    public static HfBpeModel Parse(JsonElement model, string file)
    {
        const string where = "model";
        string type = HfJson.GetString(model, "type", file, where) ?? (HfJson.Get(model, "merges") != null ? "BPE" : "(none)");
        if (type != "BPE")
            throw new LoraLabException($"{file}: model.type \"{type}\" is not supported; only BPE tokenizers (Llama 2 SentencePiece-BPE and Llama 3 " +
                "byte-level BPE) can be read");
        foreach (string field in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (HfJson.GetString(model, field, file, where) is { Length: > 0 } v)
                throw new LoraLabException($"{file}: model.{field} \"{v}\" is not supported (Llama tokenizers have none)");
        }
        if (HfJson.Get(model, "dropout") is { } d && d.ValueKind == JsonValueKind.Number && d.GetDouble() > 0)
            throw new LoraLabException($"{file}: model.dropout {d.GetDouble()} is not supported (BPE dropout makes encoding random); set it to null");

        if (HfJson.Get(model, "vocab") is not { ValueKind: JsonValueKind.Object } vocabJson)
            throw new LoraLabException($"{file}: model.vocab is missing or not an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new LoraLabException($"{file}: model.vocab[\"{p.Name}\"] must be a non-negative integer id, found {p.Value}");
            vocab[p.Name] = id;
        }

        var pairs = new Dictionary<long, (int, double)>();
        int rank = 0;
        foreach (var m in HfJson.Items(model, "merges", file, where))
        {
            (string a, string b) = ParseMerge(m, rank, file);
            if (!vocab.TryGetValue(a, out int ia) || !vocab.TryGetValue(b, out int ib) || !vocab.TryGetValue(a + b, out int merged))
                throw new LoraLabException($"{file}: model.merges[{rank}] (\"{a}\" \"{b}\") uses a token that is not in model.vocab");
            pairs.TryAdd(PairMerger.Key(ia, ib), (merged, rank));
            rank++;
        }

        int? unkId = null;
        if (HfJson.GetString(model, "unk_token", file, where) is { } unk)
        {
            unkId = vocab.TryGetValue(unk, out int u) ? u
                : throw new LoraLabException($"{file}: model.unk_token \"{unk}\" is not in model.vocab");
        }
        return new HfBpeModel(vocab, new PairMerger(pairs), unkId,
            HfJson.GetBool(model, "byte_fallback", false, file, where),
            HfJson.GetBool(model, "ignore_merges", false, file, where),
            HfJson.GetBool(model, "fuse_unk", false, file, where));
    }

    private static (string, string) ParseMerge(JsonElement m, int index, string file)
    {
        if (m.ValueKind == JsonValueKind.String)
        {
            string[] parts = m.GetString()!.Split(' ');
            if (parts.Length == 2) return (parts[0], parts[1]);
        }
        else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2
                 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
        {
            return (m[0].GetString()!, m[1].GetString()!);
        }
        throw new LoraLabException($"{file}: model.merges[{index}] must be \"a b\" or [\"a\", \"b\"], found {m}");
    }

    /// <summary>Appends the ids of one pre-tokenized word.</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (_ignoreMerges && _vocab.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }
        bool cacheable = word.Length < 256;
        if (cacheable)
        {
            lock (_cache)
            {
                if (_cache.TryGetValue(word, out var cached))
                {
                    output.AddRange(cached);
                    return;
                }
            }
        }

        var symbols = new List<int>(word.Length);
        bool lastWasUnk = false;
        Span<byte> buf = stackalloc byte[4];
        foreach (Rune r in word.EnumerateRunes())
        {
            if (_vocab.TryGetValue(r.ToString(), out int id))
            {
                symbols.Add(id);
                lastWasUnk = false;
            }
            else if (_byteIds != null)
            {
                int n = r.EncodeToUtf8(buf);
                for (int i = 0; i < n; i++) symbols.Add(_byteIds[buf[i]]);
                lastWasUnk = false;
            }
            else if (_unkId is int unk)
            {
                if (!(_fuseUnk && lastWasUnk)) symbols.Add(unk);
                lastWasUnk = true;
            }
            // No unk token: Hugging Face drops the character.
        }

        int start = output.Count;
        _merger.Merge(symbols, output);
        if (cacheable)
        {
            int[] ids = output.GetRange(start, output.Count - start).ToArray();
            lock (_cache)
            {
                if (_cache.Count >= CacheLimit) _cache.Clear();
                _cache[word] = ids;
            }
        }
    }
}
