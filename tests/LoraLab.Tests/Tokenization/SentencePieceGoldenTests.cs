using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

/// <summary>
/// Every way LoraLab reads a SentencePiece vocabulary — the .model itself, the tokenizer.json converted from it, and
/// llama2.c's .bin — against Google sentencepiece's ids and decodes (Goldens/make_sentencepiece_goldens.py) on ~300
/// real texts: Python standard-library code, TinyStories, GSM8K and whitespace / punctuation / Unicode edge cases.
/// </summary>
public class SentencePieceGoldenTests
{
    [Theory]
    [InlineData("spm_code")]
    [InlineData("spm_collapse")]
    public void Model_file_matches_sentencepiece(string name)
    {
        var set = TokenizerGoldens.Load(name + ".goldens.json");
        var tok = SentencePieceTokenizer.Load(TokenizerGoldens.PathOf(name + ".model"));
        Assert.Equal(set.VocabSize, tok.VocabSize);
        Assert.Equal(set.BosId, tok.BosId);
        TokenizerGoldens.AssertMatches(set, tok);
    }

    [Fact]
    public void Llama2c_bin_of_the_same_vocabulary_matches_sentencepiece()
    {
        var set = TokenizerGoldens.Load("spm_code.goldens.json");
        var tok = Llama2cTokenizer.Load(TokenizerGoldens.PathOf("spm_code.bin"), set.VocabSize);
        TokenizerGoldens.AssertMatches(set, tok, checkPieces: false); // .bin stores ' ' where the .model has '▁'
    }

    [Fact]
    public void Tokenizer_json_converted_from_the_model_matches_sentencepiece()
    {
        var set = TokenizerGoldens.Load("spm_code.goldens.json");
        using var dir = new TempDir();
        TokenizerLoader.WriteHfFiles(TokenizerGoldens.PathOf("spm_code.model"), dir.Path, set.VocabSize);
        var tok = TokenizerLoader.LoadFile(Path.Combine(dir.Path, "tokenizer.json"));
        TokenizerGoldens.AssertMatches(set, tok);
    }

    [Fact]
    public void Converting_a_model_with_user_defined_pieces_is_refused_by_name()
    {
        using var dir = new TempDir();
        string model = TokenizerGoldens.PathOf("spm_collapse.model");
        var e = Assert.Throws<LoraLabException>(() => TokenizerLoader.WriteHfFiles(model, dir.Path, 1500));
        Assert.Contains("user-defined pieces", e.Message);
        Assert.Contains(model, e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "tokenizer.json")));
    }

    [SkippableFact]
    public void Tok512_model_and_its_tokenizer_json_match_sentencepiece_with_extra_whitespace_removal()
    {
        string model = SharedFiles.Require(SharedFiles.Tok512Model);
        var set = TokenizerGoldens.Load("tok512.goldens.json");
        TokenizerGoldens.AssertMatches(set, SentencePieceTokenizer.Load(model));
        using var dir = new TempDir();
        TokenizerLoader.WriteHfFiles(model, dir.Path, set.VocabSize);
        TokenizerGoldens.AssertMatches(set, TokenizerLoader.LoadFile(Path.Combine(dir.Path, "tokenizer.json")));
    }

    [SkippableFact]
    public void Meta_llama2_tokenizer_matches_sentencepiece_through_model_json_and_bin()
    {
        string model = SharedFiles.Require(SharedFiles.Llama2TokenizerModel);
        var set = TokenizerGoldens.Load("llama2.goldens.json");
        TokenizerGoldens.AssertMatches(set, SentencePieceTokenizer.Load(model));
        TokenizerGoldens.AssertMatches(set, Llama2cTokenizer.Load(SharedFiles.Require(SharedFiles.Llama2TokenizerBin), set.VocabSize));
        using var dir = new TempDir();
        TokenizerLoader.WriteHfFiles(model, dir.Path, set.VocabSize);
        TokenizerGoldens.AssertMatches(set, TokenizerLoader.LoadFile(Path.Combine(dir.Path, "tokenizer.json")));
    }
}
