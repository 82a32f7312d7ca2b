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
          [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426] },
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
