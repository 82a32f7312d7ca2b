using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraLab.Tokenization;

/// <summary>
/// Writes Llama-2 style Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json)
/// from a SentencePiece-BPE vocabulary (a llama2.c tok*.bin or a BPE tokenizer.model), the way transformers'
/// LlamaConverter does: BPE with byte_fallback, normalizer Prepend("▁") + Replace(" " → "▁"), decoder
/// Replace("▁" → " ") / ByteFallback / Fuse / Strip(1 leading space), BOS added by a TemplateProcessing post-processor.
/// Merges are derived from the vocab: for each piece, best score first, every split into two vocab pieces, ordered
/// by (left id, right id). Pieces of equal score (Llama-2's whitespace runs all score -1e9) go longest first: then a run
/// of spaces grows from its left end up to the longest piece, as sentencepiece's leftmost-first tie-breaking does.
/// </summary>
public static class TokenizerJsonWriter
{
    private const int TypeNormal = SentencePieceModelFile.TypeNormal, TypeUnknown = SentencePieceModelFile.TypeUnknown,
        TypeControl = SentencePieceModelFile.TypeControl, TypeUserDefined = SentencePieceModelFile.TypeUserDefined,
        TypeByte = SentencePieceModelFile.TypeByte;

    /// <summary>Writes the three files into <paramref name="outDir"/> from a llama2.c tokenizer's pieces and scores.</summary>
    public static void Write(Llama2cTokenizer tokenizer, string outDir)
    {
        string[] pieces = tokenizer.SentencePiecePieces();
        var types = new int[pieces.Length];
        for (int i = 0; i < pieces.Length; i++)
        {
            types[i] = i switch
            {
                Llama2cTokenizer.UnkId => TypeUnknown,
                Llama2cTokenizer.BosTokenId or Llama2cTokenizer.EosTokenId => TypeControl,
                _ when HfDecoder.TryParseByte(pieces[i]) != null => TypeByte,
                _ => TypeNormal,
            };
        }
        WriteLlama2Style(outDir, pieces, tokenizer.Scores, types, Llama2cTokenizer.UnkId, Llama2cTokenizer.BosTokenId,
            Llama2cTokenizer.EosTokenId, addDummyPrefix: true);
    }

    internal static void Write(SentencePieceModelFile model, string source, string outDir)
    {
        if (model.ModelType != SentencePieceModelFile.ModelBpe)
            throw new LoraLabException($"tokenizer {source} is a SentencePiece {(model.ModelType == 1 ? "Unigram" : $"type-{model.ModelType}")} model; " +
                "only BPE models (Llama style) can be converted to tokenizer.json");
        if (!model.EscapeWhitespaces)
            throw new LoraLabException($"tokenizer {source} sets normalizer_spec.escape_whitespaces=false; "
                + "only models that spell spaces '▁' can be converted to tokenizer.json");
        var userDefined = Enumerable.Range(0, model.Pieces.Count).Where(i => model.Types[i] == TypeUserDefined).Select(i => model.Pieces[i]).ToList();
        if (userDefined.Count > 0)
            throw new LoraLabException($"tokenizer {source} has {userDefined.Count} user-defined pieces (\"{string.Join("\", \"", userDefined.Take(3))}\"…); "
                + "converting them to tokenizer.json is not implemented (sentencepiece matches them after normalization, inside BPE); use the .model itself");
        int? Valid(int id) => id >= 0 && id < model.Pieces.Count ? id : null;
        WriteLlama2Style(outDir, model.Pieces, model.Scores, model.Types, model.UnkId, Valid(model.BosId), Valid(model.EosId),
            model.AddDummyPrefix, model.RemoveExtraWhitespaces);
    }

    /// <summary>HF's SentencePiece merge derivation (see the class summary). Only normal / user-defined pieces take part.</summary>
    public static List<(string Left, string Right)> DeriveMerges(IReadOnlyList<string> pieces, IReadOnlyList<float> scores, IReadOnlyList<int> types)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++)
        {
            if (types[i] is TypeNormal or TypeUserDefined) ids.TryAdd(pieces[i], i);
        }
        var order = Enumerable.Range(0, pieces.Count).Where(i => ids.GetValueOrDefault(pieces[i], -1) == i)
            .OrderByDescending(i => scores[i]).ThenByDescending(i => pieces[i].Length).ThenBy(i => i);
        var merges = new List<(string, string)>();
        foreach (int id in order)
        {
            string p = pieces[id];
            var local = new List<(int L, int R)>();
            for (int cut = 1; cut < p.Length; cut++)
            {
                if (char.IsLowSurrogate(p[cut])) continue;
                if (ids.TryGetValue(p[..cut], out int l) && ids.TryGetValue(p[cut..], out int r)) local.Add((l, r));
            }
            merges.AddRange(local.OrderBy(x => x.L).ThenBy(x => x.R).Select(x => (pieces[x.L], pieces[x.R])));
        }
        return merges;
    }

    internal static void WriteLlama2Style(string outDir, IReadOnlyList<string> pieces, IReadOnlyList<float> scores,
        IReadOnlyList<int> types, int unkId, int? bosId, int? eosId, bool addDummyPrefix, bool removeExtraWhitespaces = false)
    {
        // Control/unknown pieces are special added tokens; user-defined pieces are non-special added tokens (SentencePiece
        // matches them anywhere in the input, as Hugging Face does with added tokens).
        var addedIds = Enumerable.Range(0, pieces.Count).Where(i => types[i] is TypeControl or TypeUnknown or TypeUserDefined).ToList();
        string? bos = bosId is int b ? pieces[b] : null, eos = eosId is int e ? pieces[e] : null;
        var merges = DeriveMerges(pieces, scores, types);

        AtomicFile.WriteAllBytes(Path.Combine(outDir, "tokenizer.json"), Json(w =>
        {
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (int id in addedIds) AddedToken(w, id, pieces[id], types[id] != TypeUserDefined, withId: true);
            w.WriteEndArray();

            w.WriteStartObject("normalizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("normalizers");
            if (removeExtraWhitespaces)
            {
                // sentencepiece's remove_extra_whitespaces: no leading or trailing spaces, one space of each run (U+0020 only).
                Raw(w, """{"type": "Replace", "pattern": {"Regex": "\\A +| +\\z"}, "content": ""}""");
                Raw(w, """{"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}""");
            }
            if (addDummyPrefix) Raw(w, """{"type": "Prepend", "prepend": "▁"}""");
            Raw(w, """{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteNull("pre_tokenizer");

            if (bos != null)
            {
                w.WriteStartObject("post_processor");
                w.WriteString("type", "TemplateProcessing");
                w.WriteStartArray("single");
                SpecialItem(w, bos, 0);
                SequenceItem(w, "A", 0);
                w.WriteEndArray();
                w.WriteStartArray("pair");
                SpecialItem(w, bos, 0);
                SequenceItem(w, "A", 0);
                SpecialItem(w, bos, 1);
                SequenceItem(w, "B", 1);
                w.WriteEndArray();
                w.WriteStartObject("special_tokens");
                w.WriteStartObject(bos);
                w.WriteString("id", bos);
                w.WriteStartArray("ids");
                w.WriteNumberValue(bosId!.Value);
                w.WriteEndArray();
                w.WriteStartArray("tokens");
                w.WriteStringValue(bos);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else w.WriteNull("post_processor");

            w.WritePropertyName("decoder");
            Raw(w, (addDummyPrefix
                ? """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, """
                    + """{"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}"""
                : """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, """
                    + """{"type": "ByteFallback"}, {"type": "Fuse"}]}"""));

            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteString("unk_token", pieces[unkId]);
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", true);
            w.WriteBoolean("byte_fallback", true);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            var written = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < pieces.Count; i++)
            {
                if (written.Add(pieces[i])) w.WriteNumber(pieces[i], i);
            }
            w.WriteEndObject();
            // "a b" strings are read by every tokenizers version; pairs with a space inside need the [a, b] form.
            w.WriteStartArray("merges");
            foreach (var (l, r) in merges)
            {
                if (l.Contains(' ') || r.Contains(' '))
                {
                    w.WriteStartArray();
                    w.WriteStringValue(l);
                    w.WriteStringValue(r);
                    w.WriteEndArray();
                }
                else w.WriteStringValue(l + " " + r);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }));

        AtomicFile.WriteAllBytes(Path.Combine(outDir, "tokenizer_config.json"), Json(w =>
        {
            w.WriteBoolean("add_bos_token", bos != null);
            w.WriteBoolean("add_eos_token", false);
            w.WriteStartObject("added_tokens_decoder");
            foreach (int id in addedIds)
            {
                w.WritePropertyName(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddedToken(w, id, pieces[id], types[id] != TypeUserDefined, withId: false);
            }
            w.WriteEndObject();
            WriteNullable(w, "bos_token", bos);
            WriteNullable(w, "eos_token", eos);
            w.WriteString("unk_token", pieces[unkId]);
            w.WriteNull("pad_token");
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteBoolean("legacy", true); // the Prepend normalizer is transformers' "legacy" Llama layout
            w.WriteStartObject("sp_model_kwargs");
            w.WriteEndObject();
            w.WriteString("tokenizer_class", "LlamaTokenizer");
        }));

        AtomicFile.WriteAllBytes(Path.Combine(outDir, "special_tokens_map.json"), Json(w =>
        {
            foreach (var (name, content) in new[] { ("bos_token", bos), ("eos_token", eos), ("unk_token", pieces[unkId]) })
            {
                if (content == null) continue;
                w.WriteStartObject(name);
                w.WriteString("content", content);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("single_word", false);
                w.WriteEndObject();
            }
        }));
    }

    private static void AddedToken(Utf8JsonWriter w, int id, string content, bool isSpecial, bool withId)
    {
        w.WriteStartObject();
        if (withId) w.WriteNumber("id", id);
        w.WriteString("content", content);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", isSpecial);
        w.WriteEndObject();
    }

    private static void SpecialItem(Utf8JsonWriter w, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject("SpecialToken");
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void SequenceItem(Utf8JsonWriter w, string id, int typeId)
    {
        w.WriteStartObject();
        w.WriteStartObject("Sequence");
        w.WriteString("id", id);
        w.WriteNumber("type_id", typeId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Writes a JSON literal through the writer (so it is indented like the rest).</summary>
    private static void Raw(Utf8JsonWriter w, string json)
    {
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.WriteTo(w);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value == null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stream.Write(Encoding.UTF8.GetBytes("\n"));
        return stream.ToArray();
    }
}
