using LoraLab.Experiments.Demo.Data;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Experiments.Demo.Data;

public class DemoTokenizerTests
{
    // Ids from Hugging Face tokenizers 0.23.2 (npm package "tokenizers", Tokenizer.fromFile(tokenizer.json).encode(text),
    // add_special_tokens on) on the files DemoTokenizer.WriteHfFiles wrote, computed once; decode(ids, skip_special) in the comment.
    private static readonly (string Text, int[] Plain, int[] ByteFallback)[] HfReference =
    [
        ("Tom looked up. The sky was blue.\nHe said \"hi\"!",
            [1, 56, 83, 81, 4, 80, 83, 83, 79, 73, 72, 4, 89, 84, 18, 4, 56, 76, 73, 4, 87, 79, 93, 4, 91, 69, 87, 4, 70, 80, 89, 73, 18, 3, 44, 73, 4,
                87, 69, 77, 72, 4, 6, 76, 77, 6, 5],
            [1, 56, 83, 81, 4, 80, 83, 83, 79, 73, 72, 4, 89, 84, 18, 4, 56, 76, 73, 4, 87, 79, 93, 4, 91, 69, 87, 4, 70, 80, 89, 73, 18, 3, 44, 73, 4,
                87, 69, 77, 72, 4, 6, 76, 77, 6, 5]),
        (" leading  space~{}|",
            [1, 4, 80, 73, 69, 72, 77, 82, 75, 4, 4, 87, 84, 69, 71, 73, 98, 95, 97, 96],
            [1, 4, 80, 73, 69, 72, 77, 82, 75, 4, 4, 87, 84, 69, 71, 73, 98, 95, 97, 96]),
        // plain decodes to "caf  x !" (unknowns dropped), byte fallback to "café  x 日本!" ("▁" becomes a space).
        ("café ▁x 日本!",
            [1, 71, 69, 74, 0, 4, 4, 92, 4, 0, 5],
            [1, 71, 69, 74, 294, 268, 4, 4, 92, 4, 329, 250, 264, 329, 255, 271, 5]),
        // fuse_unk: "éé" is one <unk>; the tab is another.
        ("aééb\tc", [1, 69, 0, 70, 0, 71], [1, 69, 294, 268, 294, 268, 70, 108, 71]),
    ];

    [Fact]
    public void Layout_is_unk_bos_eos_newline_space_then_printable_ascii()
    {
        var tok = DemoTokenizer.Create();
        Assert.Equal(99, tok.VocabSize);
        Assert.True(tok.VocabSize < 128);
        Assert.Equal(["<unk>", "<s>", "</s>", "\n", "▁", "!"], tok.Pieces.Take(6));
        Assert.Equal("~", tok.Pieces[^1]);
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.Equal([1, 'A' - '!' + 5, 2], tok.Encode("A", addBos: true, addEos: true));
        Assert.Empty(tok.Encode("", addBos: false));

        var bf = DemoTokenizer.CreateWithByteFallback();
        Assert.Equal(355, bf.VocabSize);
        Assert.Equal("<0x00>", bf.Pieces[99]);
        Assert.Equal("<0xFF>", bf.Pieces[354]);
    }

    [Fact]
    public void Ids_match_hugging_face_tokenizers_on_the_written_files()
    {
        foreach (bool byteFallback in new[] { false, true })
        {
            var tok = byteFallback ? DemoTokenizer.CreateWithByteFallback() : DemoTokenizer.Create();
            using var dir = new TempDir();
            tok.WriteHfFiles(dir.Path);
            var loaded = TokenizerLoader.LoadFromDirectory(dir.Path, expectedVocabSize: tok.VocabSize);
            Assert.Equal(tok.VocabSize, loaded.VocabSize);
            Assert.Equal(1, loaded.BosId);
            Assert.Equal(2, loaded.EosId);
            foreach (var (text, plain, withBytes) in HfReference)
            {
                int[] expected = byteFallback ? withBytes : plain;
                Assert.Equal(expected, tok.Encode(text));
                Assert.Equal(expected, loaded.Encode(text));
                Assert.Equal(loaded.Decode(expected), tok.Decode(expected));
            }
            Assert.Equal("caf  x !", tok.Decode(HfReference[2].Plain));
            if (byteFallback) Assert.Equal("café  x 日本!", tok.Decode(HfReference[2].ByteFallback));
            // An invalid byte run decodes to one U+FFFD per byte, as Hugging Face's ByteFallback decoder does.
            if (byteFallback) Assert.Equal("a\uFFFD\uFFFDb", tok.Decode([69, 99 + 0xC3, 99 + 0xC3, 70]));
            Assert.Equal(loaded.Decode([1, 69, 0, 2]), tok.Decode([1, 69, 0, 2]));
        }
    }

    [Fact]
    public void Every_generated_text_round_trips_and_the_reloaded_tokenizer_gives_identical_ids()
    {
        var data = DemoData.Generate(new DemoDataOptions { SourceTrainStories = 1000, SourceHeldOutStories = 100, ClozeItems = 200,
            TargetTrainProblems = 500, TargetTestProblems = 100 });
        var tok = data.Tokenizer;
        using var dir = new TempDir();
        tok.WriteHfFiles(dir.Path);
        var loaded = TokenizerLoader.LoadFromDirectory(dir.Path);
        var texts = data.SourceTrain.Concat(data.SourceHeldOut)
            .Concat(data.Cloze.Items.SelectMany(i => i.Choices.Select(c => i.Context + " " + c)))
            .Concat(data.TargetTrain.Concat(data.TargetTest).Select(p => "Question: " + p.Question + "\nAnswer: " + p.Answer))
            .ToList();
        foreach (string text in texts)
        {
            int[] ids = tok.Encode(text, addBos: true, addEos: true);
            Assert.DoesNotContain(DemoTokenizer.UnkTokenId, ids);
            Assert.Equal(text.Length + 2, ids.Length); // one id per character
            Assert.Equal(text, tok.Decode(ids));
            Assert.Equal(ids, loaded.Encode(text, addBos: true, addEos: true));
        }
        // The whole corpus in one string too (the HF path caches per word; here the text is one word).
        string all = string.Join("\n", texts.Take(200));
        Assert.Equal(tok.Encode(all), loaded.Encode(all));
        Assert.Equal(all, loaded.Decode(loaded.Encode(all)));
    }

    [Fact]
    public void Unknown_id_is_a_user_error()
    {
        var e = Assert.Throws<LoraLab.LoraLabException>(() => DemoTokenizer.Create().Decode([5, 99]));
        Assert.Contains("99", e.Message);
    }
}
