using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

/// <summary>
/// tokenizer.json files built and trained by Hugging Face's own tokenizers library (Goldens/make_tokenizers_goldens.js),
/// read by <see cref="HfTokenizerJson"/>: ids, tokens, decode and BOS/special-token handling equal the library's on ~300
/// real texts. Llama 3 style: Split with Llama 3's regex + ByteLevel, ignore_merges (it changes 181 of the texts' ids);
/// Llama 2 style: Prepend/Replace normalizer, byte_fallback, Replace/ByteFallback/Fuse/Strip decoder; and the same
/// vocabulary with a Metaspace pre-tokenizer (prepend_scheme "first") and decoder.
/// </summary>
public class HfTokenizerGoldenTests
{
    [Theory]
    [InlineData("hf_llama3_style")]
    [InlineData("hf_llama2_style")]
    [InlineData("hf_llama2_metaspace")]
    public void Tokenizer_json_matches_hugging_face_tokenizers(string name)
    {
        var set = TokenizerGoldens.Load(name + ".goldens.json");
        var tok = HfTokenizerJson.Load(TokenizerGoldens.PathOf(name + ".tokenizer.json"));
        Assert.Equal(set.VocabSize, tok.VocabSize);
        Assert.Contains(set.Cases, c => c.WithSpecial != null);
        TokenizerGoldens.AssertMatches(set, tok);
    }
}
