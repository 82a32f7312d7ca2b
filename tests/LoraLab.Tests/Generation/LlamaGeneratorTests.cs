using LoraLab.Generation;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;

namespace LoraLab.Tests.Generation;

public class LlamaGeneratorTests
{
    private static readonly int[] Bos = { 1 };

    [SkippableFact]
    public void TopKOneAndTinyTopPAreGreedy()
    {
        using var model = Stories260KTests.LoadFromBin();
        var gen = new LlamaGenerator(model);
        var greedy = gen.Generate(new[] { Bos }, new GenerationOptions { MaxNewTokens = 40 })[0].NewIds;
        var topK1 = gen.Generate(new[] { Bos }, new GenerationOptions { MaxNewTokens = 40, Temperature = 1.5, TopK = 1, Seed = 3 })[0].NewIds;
        var topPTiny = gen.Generate(new[] { Bos }, new GenerationOptions { MaxNewTokens = 40, Temperature = 1.5, TopP = 1e-6, Seed = 4 })[0].NewIds;
        Assert.Equal(greedy, topK1);
        Assert.Equal(greedy, topPTiny);
    }

    [SkippableFact]
    public void SeededSamplingIsReproducibleAndSeedsDiffer()
    {
        using var model = Stories260KTests.LoadFromBin();
        var gen = new LlamaGenerator(model);
        GenerationOptions Opt(long seed) => new() { MaxNewTokens = 60, Temperature = 1.0, Seed = seed };
        var a = gen.Generate(new[] { Bos }, Opt(1))[0].NewIds;
        var b = gen.Generate(new[] { Bos }, Opt(1))[0].NewIds;
        var c = gen.Generate(new[] { Bos }, Opt(2))[0].NewIds;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [SkippableFact]
    public void APromptSamplesTheSameAloneAndInsideABatch()
    {
        using var model = Stories260KTests.LoadFromBin();
        var gen = new LlamaGenerator(model);
        var options = new GenerationOptions { MaxNewTokens = 40, Temperature = 1.0, TopK = 50, TopP = 0.95, StopAtEos = false };
        int[] prompt = [1, 403, 261, 370], other = [1, 83], longer = [1, 300, 301, 302, 303, 304, 305];
        long seed = GenerationOptions.RequestSeed(42, 0);
        var alone = gen.Generate([prompt], options, [seed])[0].NewIds;
        var batched = gen.Generate([other, prompt, longer], options, [5, seed, 6]);
        Assert.Equal(alone, batched[1].NewIds);
        Assert.Equal(alone, gen.Generate([prompt], options with { Seed = 42 })[0].NewIds); // default seed of prompt 0
        Assert.NotEqual(alone, batched[0].NewIds);

        // copies of one prompt draw from different streams (request index), and each copy alone reproduces itself
        var copies = gen.Generate([prompt, prompt, prompt], options with { Seed = 9 });
        Assert.Equal(3, copies.Select(c => string.Join(",", c.NewIds)).Distinct().Count());
        Assert.Equal(copies[2].NewIds, gen.Generate([prompt], options, [GenerationOptions.RequestSeed(9, 2)])[0].NewIds);
    }

    [SkippableFact]
    public void StopSequenceCutsTheCompletion()
    {
        using var model = Stories260KTests.LoadFromBin();
        var tokenizer = TokenizerLoader.LoadFile(SharedFiles.Require(SharedFiles.Tok512Model));
        var gen = new LlamaGenerator(model, tokenizer);
        // the greedy text is "Once upon a time, there was a little girl named Lily. She loved to play …"
        var r = gen.Generate(new[] { "Once upon a time" }, new GenerationOptions { MaxNewTokens = 100, StopSequences = new[] { "Lily" } })[0];
        Assert.Equal(FinishReason.StopSequence, r.FinishReason);
        Assert.Equal(", there was a little girl named ", r.Completion);
        Assert.Equal("Once upon a time, there was a little girl named ", r.FullText);
        Assert.True(r.NewIds.Length < 100);
    }

    [SkippableFact]
    public void MaxNewTokensAndPositionLimitAreRespected()
    {
        using var model = Stories260KTests.LoadFromBin();
        var gen = new LlamaGenerator(model);
        Assert.Equal(7, gen.Generate(new[] { Bos }, new GenerationOptions { MaxNewTokens = 7, StopAtEos = false })[0].NewIds.Length);
        // 512 positions in all: a 510-token prompt can grow by 2 only
        var longPrompt = Enumerable.Repeat(1, 1).Concat(Enumerable.Repeat(410, 509)).ToArray();
        Assert.Equal(2, gen.Generate(new[] { longPrompt }, new GenerationOptions { MaxNewTokens = 50, StopAtEos = false })[0].NewIds.Length);
        Assert.Throws<LoraLabException>(() => gen.Generate(new[] { Bos }, new GenerationOptions { TopP = 0 }));
    }
}
