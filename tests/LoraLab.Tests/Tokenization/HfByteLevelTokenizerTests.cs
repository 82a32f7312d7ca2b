using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

/// <summary>Llama-3 style byte-level BPE on a tiny hand-written tokenizer.json; expected ids computed by hand below.</summary>
public class HfByteLevelTokenizerTests
{
    // GPT-2 byte↔unicode map: printable bytes map to themselves ('h', '!', 0xC3 'Ã', 0xA9 '©'); the others are
    // numbered from U+0100 in byte order: 0x0A (the 11th non-printable byte, index 10) → U+010A 'Ċ', 0x20 (index 32) → U+0120 'Ġ'.
    // "é" is UTF-8 C3 A9 → "Ã©".
    private const string Vocab = """
        "h": 0, "e": 1, "l": 2, "o": 3, "w": 4, "r": 5, "d": 6, "'": 7, "s": 8, "Ġ": 9, "1": 10, "2": 11, "3": 12,
        "4": 13, "5": 14, "c": 15, "a": 16, "f": 17, "Ã": 18, "©": 19, "!": 20, "Ċ": 21,
        "Ġw": 22, "lo": 23, "he": 24, "hel": 25, "hello": 26, "or": 27, "Ġwor": 28, "'s": 29, "12": 30, "Ã©": 31,
        "ca": 32, "Ġca": 33, "fÃ©": 34, "ĠcafÃ©": 35, "45": 36, "123": 37, "Ġworld": 38
        """;

    // Ranks 0..15 in this order.
    private const string Merges = """
        "Ġ w", "l o", "h e", "he l", "hel lo", "o r", "Ġw or", "' s", "1 2", "Ã ©", "c a", "Ġ ca", "f Ã©", "Ġca fÃ©", ["4", "5"], "12 3"
        """;

    // The Llama 3 split regex, JSON-escaped.
    private const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static string TokenizerJson(bool ignoreMerges) => """
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 39, "content": "<|begin_of_text|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 40, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": null,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "@REGEX@"}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
          ]},
          "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [39], "tokens": ["<|begin_of_text|>"]}}}
          ]},
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
                    "fuse_unk": false, "byte_fallback": false, "ignore_merges": @IGNORE@,
                    "vocab": { @VOCAB@ }, "merges": [ @MERGES@ ]}
        }
        """.Replace("@REGEX@", Llama3Regex).Replace("@VOCAB@", Vocab).Replace("@MERGES@", Merges)
            .Replace("@IGNORE@", ignoreMerges ? "true" : "false");

    private const string Text = "hello world's 12345 cafés!<|end|>\n";

    // Hand computation for Text:
    //  1. Added tokens first: "hello world's 12345 cafés!" | <|end|> (40) | "\n".
    //  2. The regex splits the first segment into "hello", " world", "'s", " ", "123", "45", " cafés", "!"
    //     (" 12345": " " cannot start a letter/number alternative and \s+(?!\S) fails before '1', so \s+ takes " "
    //     alone; \p{N}{1,3} then takes "123" and "45"). "\n" matches \s*[\r\n]+.
    //  3. ByteLevel: "hello", "Ġworld", "'s", "Ġ", "123", "45", "ĠcafÃ©s", "!", "Ċ".
    //  4. BPE per word (lowest rank first):
    //     "hello": in vocab → 26 (via merges too: "l o"(1) → h e l lo; "h e"(2) → he l lo; "he l"(3); "hel lo"(4)).
    //     "Ġworld": ignore_merges → 38. Without it: "Ġ w"(0) → Ġw o r l d; "o r"(5) → Ġw or l d; "Ġw or"(6) → Ġwor l d;
    //              no merge for (Ġwor,l) or (l,d) → [28, 2, 6].
    //     "'s" → "' s"(7) → 29.   "Ġ" → 9.   "123": "1 2"(8) → 12 3; "12 3"(15) → 37.   "45": (13) → 36.
    //     "ĠcafÃ©s" (not in vocab): candidates (c,a)=10, (Ã,©)=9 → Ã© first; then (c,a)=10 vs (f,Ã©)=12 → ca;
    //              then (Ġ,ca)=11 → Ġca; then (f,Ã©)=12 → fÃ©; then (Ġca,fÃ©)=13 → ĠcafÃ©; (ĠcafÃ©,s) none → [35, 8].
    //     "!" → 20.   "Ċ" → 21.
    //  5. BOS from the post_processor template: 39.
    private static readonly int[] ExpectedIgnoreMerges = [39, 26, 38, 29, 9, 37, 36, 35, 8, 20, 40, 21];
    private static readonly int[] ExpectedWithMerges = [39, 26, 28, 2, 6, 29, 9, 37, 36, 35, 8, 20, 40, 21];

    private static HfTokenizerJson Write(TempDir dir, bool ignoreMerges, string? config = null)
    {
        File.WriteAllText(dir.File("tokenizer.json"), TokenizerJson(ignoreMerges));
        if (config != null) File.WriteAllText(dir.File("tokenizer_config.json"), config);
        return HfTokenizerJson.Load(dir.File("tokenizer.json"));
    }

    [Fact]
    public void Encodes_llama3_style_by_hand_computation()
    {
        using var dir = new TempDir();
        var tok = Write(dir, ignoreMerges: true);
        Assert.Equal(41, tok.VocabSize);
        Assert.Equal(39, tok.BosId);
        Assert.Null(tok.EosId); // no tokenizer_config.json and no conventional EOS name
        Assert.Equal(ExpectedIgnoreMerges, tok.Encode(Text));
        Assert.Equal(ExpectedIgnoreMerges[1..], tok.Encode(Text, addBos: false));
    }

    [Fact]
    public void Without_ignore_merges_words_are_merged_from_characters()
    {
        using var dir = new TempDir();
        Assert.Equal(ExpectedWithMerges, Write(dir, ignoreMerges: false).Encode(Text));
    }

    [Fact]
    public void Decodes_bytes_back_and_skips_special_tokens()
    {
        using var dir = new TempDir();
        var tok = Write(dir, ignoreMerges: true);
        Assert.Equal("hello world's 12345 cafés!\n", tok.Decode(ExpectedIgnoreMerges));
        // A split multi-byte character: "Ã" alone is the lone byte C3, not valid UTF-8 → U+FFFD.
        Assert.Equal("\uFFFD", tok.Decode([18]));
        Assert.Equal("é", tok.Decode([18, 19]));
    }

    [Fact]
    public void Tokenizer_config_sets_bos_and_eos()
    {
        using var dir = new TempDir();
        var tok = Write(dir, ignoreMerges: true, """{"bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|end|>"}}""");
        Assert.Equal(39, tok.BosId);
        Assert.Equal(40, tok.EosId);
        Assert.Equal([39, 26, 40], tok.Encode("hello", addBos: true, addEos: true));
        // add_bos_token false wins over the template.
        var noBos = Write(dir, ignoreMerges: true, """{"bos_token": "<|begin_of_text|>", "add_bos_token": false}""");
        Assert.Equal([26], noBos.Encode("hello"));
    }

    [Fact]
    public void Partial_special_token_is_plain_text()
    {
        using var dir = new TempDir();
        var tok = Write(dir, ignoreMerges: true);
        Assert.Equal([26, 40], tok.Encode("hello<|end|>", addBos: false));
        // "<|end" is not the added token. Regex: "hello", "<|" (punctuation run), "end". '<', '|' and 'n' are not in
        // this tiny vocab and there is no unk_token → Hugging Face BPE drops them; "e" (1) and "d" (6) have no merge.
        Assert.Equal([26, 1, 6], tok.Encode("hello<|end", addBos: false));
    }

    [Fact]
    public void Unknown_model_type_names_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}""");
        var e = Assert.Throws<LoraLabException>(() => HfTokenizerJson.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("Unigram", e.Message);
    }

    [Fact]
    public void Merge_with_unknown_token_names_the_file_and_index()
    {
        using var dir = new TempDir();
        string path = dir.File("tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}""");
        var e = Assert.Throws<LoraLabException>(() => HfTokenizerJson.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("merges[0]", e.Message);
    }
}
