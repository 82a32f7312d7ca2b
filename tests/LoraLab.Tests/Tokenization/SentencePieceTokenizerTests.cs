using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

public class SentencePieceTokenizerTests
{
    // Golden ids below were computed ONCE with the reference SentencePiece library (Debian python3-sentencepiece
    // 0.1.97, SentencePieceProcessor(model_file=tok512.model).encode(text)) and pasted here; not needed at run time.
    public static TheoryData<string, int[]> Golden => new()
    {
        { "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
          [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282,
              295, 433, 426] },
        { "café 東京 🙂", [280, 412, 431, 485, 410, 233, 160, 180, 231, 189, 175, 410, 243, 162, 156, 133] },
        // tok512.model has remove_extra_whitespaces=true: the double space collapses; '\n' and '\t' are byte pieces.
        { "Hello  world\n\tx", [346, 306, 414, 263, 304, 341, 13, 12, 444] },
        { " leading", [278, 411, 380, 299] },
        { "trailing ", [259, 420, 412, 290, 299] },
        { "1234 ab", [410, 475, 479, 472, 484, 261, 430] },
        { "", [] },
    };

    [SkippableTheory]
    [MemberData(nameof(Golden))]
    public void Matches_reference_sentencepiece_ids(string text, int[] expected)
    {
        var tok = SentencePieceTokenizer.Load(SharedFiles.Require(SharedFiles.Tok512Model));
        Assert.Equal(expected, tok.Encode(text, addBos: false));
        Assert.Equal([1, .. expected], tok.Encode(text));
        Assert.Equal([1, .. expected, 2], tok.Encode(text, addBos: true, addEos: true));
    }

    [SkippableFact]
    public void Reports_ids_from_the_model_and_round_trips()
    {
        var tok = SentencePieceTokenizer.Load(SharedFiles.Require(SharedFiles.Tok512Model));
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        const string text = "café 東京 🙂, Lily said.";
        Assert.Equal(text, tok.Decode(tok.Encode(text, addBos: true, addEos: true)));
    }

    /// <summary>spm_code.model with protobuf fields appended: an embedded message field that repeats is merged into the
    /// earlier one, so the appended values override (ModelProto 2 = trainer_spec, 3 = normalizer_spec, 5 = denormalizer_spec).</summary>
    private static string ModelWith(TempDir dir, params byte[] appended)
    {
        string path = dir.File("edited.model");
        File.WriteAllBytes(path, [.. File.ReadAllBytes(TokenizerGoldens.PathOf("spm_code.model")), .. appended]);
        return path;
    }

    public static TheoryData<byte[], string> Unsupported => new()
    {
        // normalizer_spec { name: "nmt_nfkc", precompiled_charsmap: 3 bytes }
        { [0x1A, 0x0F, 0x0A, 0x08, .. "nmt_nfkc"u8, 0x12, 0x03, 1, 2, 3], "normalizer rule \"nmt_nfkc\"" },
        // denormalizer_spec { precompiled_charsmap: 2 bytes }
        { [0x2A, 0x04, 0x12, 0x02, 1, 2], "denormalizer" },
        // trainer_spec { treat_whitespace_as_suffix: true }
        { [0x12, 0x03, 0xC0, 0x01, 0x01], "treat_whitespace_as_suffix" },
        // trainer_spec { model_type: UNIGRAM }
        { [0x12, 0x02, 0x18, 0x01], "Unigram" },
        // trainer_spec { byte_fallback: false } while the model has byte pieces
        { [0x12, 0x03, 0x98, 0x02, 0x00], "byte_fallback" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Refuses_settings_it_does_not_implement_by_name(byte[] appended, string mention)
    {
        using var dir = new TempDir();
        string path = ModelWith(dir, appended);
        var e = Assert.Throws<LoraLabException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(mention, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Honours_add_dummy_prefix_false()
    {
        using var dir = new TempDir();
        var plain = SentencePieceTokenizer.Load(TokenizerGoldens.PathOf("spm_code.model"));
        // normalizer_spec { add_dummy_prefix: false }: "return x" is segmented as "return▁x", without a leading '▁'.
        var noPrefix = SentencePieceTokenizer.Load(ModelWith(dir, 0x1A, 0x02, 0x18, 0x00));
        Assert.StartsWith("\u2581", plain.IdToPiece(plain.Encode("return x", addBos: false)[0]));
        int[] ids = noPrefix.Encode("return x", addBos: false);
        Assert.False(noPrefix.IdToPiece(ids[0]).StartsWith('\u2581'));
        Assert.Equal("return x", string.Concat(ids.Select(noPrefix.IdToPiece)).Replace('\u2581', ' '));
        Assert.Equal("return x", noPrefix.Decode(ids));
    }

    [Fact]
    public void Rejects_a_file_that_is_not_a_model()
    {
        using var dir = new TempDir();
        string path = dir.File("tokenizer.model");
        File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0x01, 0x02]);
        var e = Assert.Throws<LoraLabException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }
}
