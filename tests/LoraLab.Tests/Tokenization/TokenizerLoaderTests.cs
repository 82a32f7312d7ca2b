using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Tokenization;

public class TokenizerLoaderTests
{
    [SkippableFact]
    public void Loads_by_extension()
    {
        Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.LoadFile(SharedFiles.Require(SharedFiles.Tok512Model)));
        var bin = Assert.IsType<Llama2cTokenizer>(TokenizerLoader.LoadFile(SharedFiles.Require(SharedFiles.Tok512Bin), 512));
        Assert.Equal(512, bin.VocabSize);
    }

    [SkippableFact]
    public void Directory_prefers_tokenizer_json_then_tokenizer_model()
    {
        using var dir = new TempDir();
        File.Copy(SharedFiles.Require(SharedFiles.Tok512Model), dir.File("tokenizer.model"));
        Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.LoadFromDirectory(dir.Path, 512));
        TokenizerJsonWriter.Write(Llama2cTokenizer.Load(SharedFiles.Require(SharedFiles.Tok512Bin), 512), dir.Path);
        Assert.IsType<HfTokenizerJson>(TokenizerLoader.LoadFromDirectory(dir.Path, 512));
    }

    [Fact]
    public void Empty_directory_names_the_directory_and_files()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LoraLabException>(() => TokenizerLoader.LoadFromDirectory(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("tokenizer.model", e.Message);
    }

    [SkippableFact]
    public void Tokenizer_larger_than_the_model_vocab_is_an_error()
    {
        using var dir = new TempDir();
        File.Copy(SharedFiles.Require(SharedFiles.Tok512Model), dir.File("tokenizer.model"));
        var e = Assert.Throws<LoraLabException>(() => TokenizerLoader.LoadFromDirectory(dir.Path, 500));
        Assert.Contains($"tokenizer {dir.File("tokenizer.model")} has 512 ids but the model's vocab_size is 500", e.Message);
        var e2 = Assert.Throws<LoraLabException>(() => TokenizerLoader.WriteHfFiles(dir.File("tokenizer.model"), dir.File("out"), 500));
        Assert.Contains("has 512 ids but the model's vocab_size is 500", e2.Message);
    }

    [SkippableFact]
    public void WriteHfFiles_from_model_copies_it_and_writes_an_equivalent_tokenizer_json()
    {
        using var dir = new TempDir();
        string model = SharedFiles.Require(SharedFiles.Tok512Model);
        TokenizerLoader.WriteHfFiles(model, dir.Path, 512);
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(dir.File("tokenizer.model")));
        Assert.True(File.Exists(dir.File("tokenizer_config.json")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        // tokenizer.json from the .model's protobuf has the vocabulary and merges of the one generated from tok512.bin
        // (same pieces and scores); only the .model's normalizer also removes extra spaces (remove_extra_whitespaces).
        using var fromBin = new TempDir();
        TokenizerLoader.WriteHfFiles(SharedFiles.Require(SharedFiles.Tok512Bin), fromBin.Path, 512);
        using var a = System.Text.Json.JsonDocument.Parse(File.ReadAllText(fromBin.File("tokenizer.json")));
        using var b = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer.json")));
        Assert.Equal(a.RootElement.GetProperty("model").GetRawText(), b.RootElement.GetProperty("model").GetRawText());
        Assert.Contains("{2,}", b.RootElement.GetProperty("normalizer").GetRawText());
        Assert.False(File.Exists(fromBin.File("tokenizer.model")));

        // And it encodes the sample like SentencePiece, leading space of the sample included.
        var hf = TokenizerLoader.LoadFromDirectory(dir.Path, 512);
        var sp = SentencePieceTokenizer.Load(model);
        string text = File.ReadAllText(SharedFiles.Require(SharedFiles.TinyStories));
        Assert.Equal(sp.Encode(text), hf.Encode(text));
    }

    [Fact]
    public void Unknown_extension_names_the_file()
    {
        using var dir = new TempDir();
        string path = dir.File("vocab.txt");
        File.WriteAllText(path, "a\n");
        var e = Assert.Throws<LoraLabException>(() => TokenizerLoader.LoadFile(path));
        Assert.Contains(path, e.Message);
    }
}
