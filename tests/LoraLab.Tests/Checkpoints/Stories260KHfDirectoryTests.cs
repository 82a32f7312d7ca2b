using LoraLab.Checkpoints;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Tests.Checkpoints;

/// <summary>
/// stories260K converted to a Hugging Face directory and loaded from it, against the reference outputs published with
/// the model (../shared/models/stories260K: expected_greedy_t0_n200.txt and the README's loss).
/// </summary>
public class Stories260KHfDirectoryTests : IClassFixture<Stories260KHfDirectoryTests.ConvertedModel>
{
    private readonly ConvertedModel converted;

    public Stories260KHfDirectoryTests(ConvertedModel converted) => this.converted = converted;

    public sealed class ConvertedModel : IDisposable
    {
        private readonly TempDir dir = new();

        public string? Dir { get; private set; }

        public string Ensure(string tokenizer)
        {
            if (Dir != null) return Dir;
            Llama2cConverter.Convert(SharedFiles.Require(SharedFiles.Stories260KBin), SharedFiles.Require(tokenizer), dir.Path, ScalarType.Float32);
            return Dir = dir.Path;
        }

        public void Dispose() => dir.Dispose();
    }

    [SkippableFact]
    public void GreedyFromBosReproducesTheReferenceText()
    {
        string dir = converted.Ensure(SharedFiles.Tok512Model);
        using var model = LlamaCheckpoint.Load(dir);
        var tokenizer = TokenizerLoader.LoadFromDirectory(dir, model.Config.VocabSize);
        // llama2.c's run loop with steps = 200 runs the model at positions 0..199 and prints each chosen token,
        // then a newline: 200 tokens after BOS (it would stop early at BOS, which does not happen here).
        var result = new LlamaGenerator(model, tokenizer).Generate(new[] { new[] { 1 } }, new GenerationOptions { MaxNewTokens = 200, StopAtEos = false })[0];
        string expected = File.ReadAllText(Path.Combine(SharedFiles.Stories260KDir, "expected_greedy_t0_n200.txt"));
        Assert.Equal(expected, result.Completion + "\n");
    }

    [SkippableFact]
    public void LossOnTheReadmeSentenceIs0_1804NatsPerToken()
    {
        string dir = converted.Ensure(SharedFiles.Tok512Model);
        using var model = LlamaCheckpoint.Load(dir);
        var tokenizer = TokenizerLoader.LoadFromDirectory(dir, model.Config.VocabSize);
        var ids = tokenizer.Encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.");
        Assert.Equal(32, ids.Length); // BOS + 31
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = tensor(ids.Select(i => (long)i).ToArray(), new long[] { 1, ids.Length });
        double loss = CausalLoss.Compute(model.Forward(input), input).item<float>();
        Assert.Equal(0.1804, loss, 0.001);
    }

    [SkippableFact]
    public void Llama2cTokenizerConversionGivesTheSameIds()
    {
        using var dir = new TempDir();
        TokenizerLoader.WriteHfFiles(SharedFiles.Require(SharedFiles.Tok512Bin), dir.Path, 512);
        var fromJson = TokenizerLoader.LoadFromDirectory(dir.Path, 512);
        var fromBin = TokenizerLoader.LoadFile(SharedFiles.Tok512Bin, 512);
        string text = "Once upon a time, there was a little girl named Lily.";
        Assert.Equal(fromBin.Encode(text), fromJson.Encode(text));
    }
}
