using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

public class SentencePieceModelFileTests
{
    [SkippableFact]
    public void Reads_the_pieces_scores_and_specs_of_tok512_model()
    {
        var model = SentencePieceModelFile.Read(SharedFiles.Require(SharedFiles.Tok512Model));
        var bin = Llama2cTokenizer.Load(SharedFiles.Require(SharedFiles.Tok512Bin), 512);
        // README: "All 512 pieces and scores agree exactly with tok512.bin" (which spells '▁' as ' ', <s> as "\n<s>\n").
        Assert.Equal(bin.SentencePiecePieces(), model.Pieces);
        Assert.Equal(bin.Scores, model.Scores);
        // README trainer spec: BPE, byte_fallback on, add_dummy_prefix on; ids 0 <unk>, 1 <s>, 2 </s>.
        Assert.Equal(SentencePieceModelFile.ModelBpe, model.ModelType);
        Assert.True(model.ByteFallback);
        Assert.True(model.AddDummyPrefix);
        Assert.True(model.RemoveExtraWhitespaces); // read with a raw protobuf dump: normalizer_spec field 4 = 1
        Assert.Equal((0, 1, 2, -1), (model.UnkId, model.BosId, model.EosId, model.PadId));
        Assert.Equal(SentencePieceModelFile.TypeUnknown, model.Types[0]);
        Assert.Equal(SentencePieceModelFile.TypeControl, model.Types[1]);
        Assert.Equal(SentencePieceModelFile.TypeByte, model.Types[3]);
        Assert.Equal(SentencePieceModelFile.TypeNormal, model.Types[259]);
    }

    [Fact]
    public void Garbage_names_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("tokenizer.model");
        File.WriteAllBytes(path, [0x0A, 0x7F, 0x01]); // field 1, length 127, but only one byte follows
        var e = Assert.Throws<LoraLabException>(() => SentencePieceModelFile.Read(path));
        Assert.Contains(path, e.Message);
    }
}
