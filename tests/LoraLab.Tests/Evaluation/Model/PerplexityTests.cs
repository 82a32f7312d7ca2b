using LoraLab.Evaluation;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using Xunit.Abstractions;

namespace LoraLab.Tests.Evaluation.Model;

public class PerplexityTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ReadmeSentenceGivesTheReadmeLoss()
    {
        using var model = Stories260KTests.LoadFromBin();
        const string sentence = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        var r = Perplexity.Evaluate(model, LlamaLanguageModelTests.Tok512(), [sentence]);
        Assert.Equal(31, r.Tokens);
        Assert.Equal(0.1804, r.MeanNll, 0.001); // ../shared/models/stories260K/README.txt
        Assert.Equal(sentence.Length, r.Bytes); // ASCII
        Assert.Equal(r.TotalNll / Math.Log(2) / sentence.Length, r.BitsPerByte, 12);
        // windows of 8 tokens with 3 new tokens each: same tokens scored once, with less context → higher loss
        var strided = Perplexity.Evaluate(model, LlamaLanguageModelTests.Tok512(), [sentence], windowLength: 8, stride: 3);
        Assert.Equal(31, strided.Tokens);
        Assert.Equal(11, strided.Windows); // ceil(31 / 3)
        Assert.True(strided.MeanNll > r.MeanNll);
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void HeldOutTinyStoriesPerplexityIsFarBelowUniform()
    {
        using var model = Stories260KTests.LoadFromBin();
        string text = File.ReadAllText(SharedFiles.Require(SharedFiles.TinyStories));
        var all = Perplexity.SplitDocuments(text, "<|endoftext|>");
        Assert.Equal(201, all.Count); // SOURCES.md: 201 stories
        var docs = all.Take(40).ToList(); // about 15k tokens, to keep the test fast
        var r = Perplexity.Evaluate(model, LlamaLanguageModelTests.Tok512(), docs, batchSize: 16);
        output.WriteLine($"stories260K on TinyStories-valid-reduced: {r.Tokens} tokens, mean NLL {r.MeanNll:F4} nats/token, perplexity " +
            $"{r.Perplexity:F3}, {r.BitsPerByte:F4} bits/byte, {r.Windows} windows");
        Assert.InRange(r.MeanNll, 0.5, 2.5); // uniform over 512 tokens = ln 512 = 6.238
        Assert.InRange(r.BitsPerByte, 0.2, 1.5);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(string.Concat(docs)), r.Bytes);
    }
}
