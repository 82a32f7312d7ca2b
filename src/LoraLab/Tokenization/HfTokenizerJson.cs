using System.Text.Json;

namespace LoraLab.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a BPE model, in either Llama style: (a) Llama 2 / SentencePiece-BPE
/// (byte_fallback, '▁' pieces, Prepend+Replace normalizer or Metaspace pre-tokenizer, Replace/ByteFallback/Fuse/Strip
/// decoder) or (b) Llama 3 byte-level BPE (Split regex + ByteLevel pre-tokenizer, ignore_merges, ByteLevel decoder).
/// <para>
/// Encoding (Hugging Face's order): the raw text is split around the added tokens marked normalized: false (each becomes
/// its id); every other segment is normalized and split around the added tokens marked normalized: true (matched by
/// their normalized content, e.g. "▁&lt;s&gt;" after a Prepend("▁") normalizer); the rest is pre-tokenized and
/// BPE-encoded word by word. BOS/EOS come from tokenizer_config.json beside the file (bos_token,
/// eos_token, add_bos_token, add_eos_token) when present, else from the post_processor template, else from the
/// conventional names. Decoding drops special added tokens and runs the decoder.
/// </para>
/// </summary>
public sealed class HfTokenizerJson : ITokenizer
{
    private static readonly string[] ConventionalBos = ["<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>"];
    private static readonly string[] ConventionalEos = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"];

    private readonly HfBpeModel _model;
    private readonly Func<string, string> _normalizer;
    private readonly Func<List<(string Text, bool AtStart)>, List<(string Text, bool AtStart)>> _preTokenizer;
    private readonly Func<List<string>, string> _decoder;
    private readonly AddedTokenSplitter _splitter;           // added tokens with normalized: false, matched in the raw text
    private readonly AddedTokenSplitter _normalizedSplitter; // normalized: true, their normalized content matched in normalized text
    private readonly Dictionary<int, HfAddedToken> _addedById = [];
    private readonly Dictionary<string, HfAddedToken> _addedByContent = new(StringComparer.Ordinal);

    private HfTokenizerJson(string source, JsonElement root, JsonElement? config, string? configPath)
    {
        Source = source;
        if (HfJson.Get(root, "model") is not { } model) throw new LoraLabException($"{source}: the \"model\" field is missing");
        _model = HfBpeModel.Parse(model, source);
        _normalizer = HfNormalizer.Parse(HfJson.Get(root, "normalizer"), source);
        _preTokenizer = HfPreTokenizer.Parse(HfJson.Get(root, "pre_tokenizer"), source);
        _decoder = HfDecoder.Parse(HfJson.Get(root, "decoder"), source);

        int i = 0;
        foreach (var t in HfJson.Items(root, "added_tokens", source, "(root)"))
        {
            string where = $"added_tokens[{i++}]";
            int id = HfJson.GetInt(t, "id", -1, source, where);
            if (id < 0) throw new LoraLabException($"{source}: {where}.id is missing or negative");
            var token = new HfAddedToken(id, HfJson.RequireString(t, "content", source, where),
                HfJson.GetBool(t, "special", false, source, where), HfJson.GetBool(t, "lstrip", false, source, where),
                HfJson.GetBool(t, "rstrip", false, source, where), HfJson.GetBool(t, "single_word", false, source, where),
                HfJson.GetBool(t, "normalized", false, source, where));
            _addedById[id] = token;
            _addedByContent[token.Content] = token;
        }
        _splitter = new AddedTokenSplitter(_addedById.Values.Where(t => !t.Normalized));
        _normalizedSplitter = new AddedTokenSplitter(_addedById.Values.Where(t => t.Normalized).Select(t => t with { Content = _normalizer(t.Content) }));
        int maxId = Math.Max(_model.Vocab.Count == 0 ? -1 : _model.Vocab.Values.Max(), _addedById.Count == 0 ? -1 : _addedById.Keys.Max());
        VocabSize = maxId + 1;
        ResolveBosEos(root, config, configPath ?? source);
    }

    /// <summary>The file this was read from (for messages).</summary>
    public string Source { get; }

    public int VocabSize { get; }

    public int? BosId { get; private set; }

    public int? EosId { get; private set; }

    /// <summary>Whether this tokenizer prepends BOS (add_bos_token, else the post_processor template); Encode honours it.</summary>
    public bool AddsBos { get; private set; }

    /// <summary>Whether the tokenizer appends EOS by default (add_eos_token, else the template); informational.</summary>
    public bool AddsEos { get; private set; }

    public IReadOnlyCollection<HfAddedToken> AddedTokens => _addedById.Values;

    /// <summary>Number of merges (pairs) in the BPE model.</summary>
    public int MergeCount => _model.MergeCount;

    /// <summary>Reads a tokenizer.json, and tokenizer_config.json from the same directory when it exists.</summary>
    public static HfTokenizerJson Load(string path)
    {
        using var doc = HfJson.Parse(path);
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        if (!File.Exists(configPath)) return new HfTokenizerJson(path, doc.RootElement, null, null);
        using var config = HfJson.Parse(configPath);
        return new HfTokenizerJson(path, doc.RootElement, config.RootElement, configPath);
    }

    public int? TokenToId(string token) =>
        _addedByContent.TryGetValue(token, out var t) ? t.Id : _model.Vocab.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => _addedById.TryGetValue(id, out var t) ? t.Content : _model.IdToToken(id);

    public int[] Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && AddsBos && BosId is int bos) ids.Add(bos);
        foreach (var (segment, addedId, offset) in _splitter.Split(text))
        {
            if (addedId is int a)
            {
                ids.Add(a);
                continue;
            }
            foreach (var (piece, normalizedId, at) in _normalizedSplitter.Split(_normalizer(segment)))
            {
                if (normalizedId is int n) ids.Add(n);
                else foreach (var (word, _) in _preTokenizer([(piece, offset == 0 && at == 0)])) _model.Tokenize(word, ids);
            }
        }
        if (addEos && EosId is int eos) ids.Add(eos);
        return ids.ToArray();
    }

    public string IdToPiece(int id) =>
        IdToToken(id) ?? throw new LoraLabException($"token id {id} is not in tokenizer {Source} (vocabulary 0..{VocabSize - 1})");

    public string Decode(IReadOnlyList<int> ids)
    {
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                if (!added.Special) tokens.Add(added.Content);
                continue;
            }
            tokens.Add(_model.IdToToken(id)
                ?? throw new LoraLabException($"token id {id} is not in tokenizer {Source} (vocabulary 0..{VocabSize - 1})"));
        }
        return _decoder(tokens);
    }

    private void ResolveBosEos(JsonElement root, JsonElement? config, string configPath)
    {
        var (templateFound, templateBos, templateEos) = ParseTemplate(HfJson.Get(root, "post_processor"));
        bool? addBos = null, addEos = null;
        string? bosToken = null, eosToken = null;
        bool configNamesBos = false, configNamesEos = false;
        if (config is { } c)
        {
            if (HfJson.Get(c, "add_bos_token") != null) addBos = HfJson.GetBool(c, "add_bos_token", true, configPath, "(root)");
            if (HfJson.Get(c, "add_eos_token") != null) addEos = HfJson.GetBool(c, "add_eos_token", false, configPath, "(root)");
            configNamesBos = c.TryGetProperty("bos_token", out _);
            configNamesEos = c.TryGetProperty("eos_token", out _);
            bosToken = HfJson.TokenContent(c, "bos_token", configPath);
            eosToken = HfJson.TokenContent(c, "eos_token", configPath);
        }

        BosId = configNamesBos ? Lookup(bosToken, configPath, "bos_token")
            : templateBos != null ? Lookup(templateBos, Source, "post_processor")
            : ConventionalBos.Select(TokenToId).FirstOrDefault(id => id != null);
        EosId = configNamesEos ? Lookup(eosToken, configPath, "eos_token")
            : templateEos != null ? Lookup(templateEos, Source, "post_processor")
            : ConventionalEos.Select(TokenToId).FirstOrDefault(id => id != null);
        AddsBos = BosId != null && (addBos ?? (templateFound ? templateBos != null : true));
        AddsEos = EosId != null && (addEos ?? templateEos != null);
    }

    private int? Lookup(string? token, string file, string field)
    {
        if (token == null) return null;
        return TokenToId(token) ?? throw new LoraLabException($"{file}: {field} \"{token}\" is not a token of {Source}");
    }

    /// <summary>The special tokens before / after "$A" in a TemplateProcessing "single" template (searched inside Sequence).</summary>
    private static (bool Found, string? Bos, string? Eos) ParseTemplate(JsonElement? processor)
    {
        if (processor is not { ValueKind: JsonValueKind.Object } p || !p.TryGetProperty("type", out var typeEl)) return (false, null, null);
        string? type = typeEl.ValueKind == JsonValueKind.String ? typeEl.GetString() : null;
        if (type == "Sequence" && HfJson.Get(p, "processors") is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var inner in list.EnumerateArray())
            {
                var r = ParseTemplate(inner);
                if (r.Found) return r;
            }
            return (false, null, null);
        }
        if (type != "TemplateProcessing" || HfJson.Get(p, "single") is not { ValueKind: JsonValueKind.Array } single) return (false, null, null);
        string? bos = null, eos = null;
        bool seenSequence = false;
        foreach (var item in single.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            if (item.TryGetProperty("Sequence", out _)) seenSequence = true;
            else if (item.TryGetProperty("SpecialToken", out var st) && st.TryGetProperty("id", out var idEl) && idEl.ValueKind == JsonValueKind.String)
            {
                if (!seenSequence) bos ??= idEl.GetString();
                else eos ??= idEl.GetString();
            }
        }
        return (true, bos, eos);
    }
}
