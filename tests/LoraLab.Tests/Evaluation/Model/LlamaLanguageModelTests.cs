using LoraLab.Evaluation;
using LoraLab.Evaluation.Model;
using LoraLab.Evaluation.Tasks;
using LoraLab.Models.Llama;
using LoraLab.Tests.Models.Llama;
using LoraLab.Tests.TestSupport;
using LoraLab.Tokenization;
using static TorchSharp.torch;

namespace LoraLab.Tests.Evaluation.Model;

/// <summary>LlamaLanguageModel on the real stories260K model and real ARC items.</summary>
public class LlamaLanguageModelTests
{
    internal static ITokenizer Tok512() => TokenizerLoader.LoadFile(SharedFiles.Require(SharedFiles.Tok512Model), 512);

    /// <summary>Requests of real ARC-Challenge items (0- and 1-shot, so contexts of several lengths) plus WinoGrande-shaped pairs.</summary>
    private static List<LogLikelihoodRequest> ArcRequests(int items)
    {
        string path = SharedFiles.Require(SharedFiles.ArcChallengeTrain);
        var task = ArcTask.FromFiles("arc_challenge", path, path);
        var requests = new List<LogLikelihoodRequest>();
        for (int i = 0; i < items; i++) requests.AddRange(task.BuildInstance(i, i % 2, 1234).LogLikelihoodRequests);
        requests.Add(new LogLikelihoodRequest("The cat sat on the mat because the cat", " was tired."));
        requests.Add(new LogLikelihoodRequest("The cat sat on the mat because the mat", " was tired."));
        requests.Add(new LogLikelihoodRequest("Once upon a ", "time")); // trailing space moves into the continuation
        return requests;
    }

    [SkippableFact]
    public void SharedContextScoringEqualsPerPairScoring()
    {
        using var model = Stories260KTests.LoadFromBin();
        var tokenizer = Tok512();
        var requests = ArcRequests(6);
        var perPair = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(BatchSize: 3, ShareContext: false)).LogLikelihood(requests);
        var shared = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(BatchSize: 5, ShareContext: true)).LogLikelihood(requests);
        Assert.Equal(requests.Count, shared.Count);
        double maxDiff = perPair.Zip(shared, (a, b) => Math.Abs(a.LogLikelihood - b.LogLikelihood)).Max();
        Assert.True(maxDiff < 1e-4, $"max |Δ log-likelihood| = {maxDiff}");
        Assert.Equal(perPair.Select(r => r.IsGreedy), shared.Select(r => r.IsGreedy));
        Assert.All(shared, r => Assert.True(r.LogLikelihood < 0));

        // a window shorter than the 1-shot contexts: those are left-truncated and scored per pair, the rest shared
        var small = new LlamaLanguageModelOptions(BatchSize: 4, MaxLength: 48);
        var truncatedPerPair = new LlamaLanguageModel(model, tokenizer, small with { ShareContext = false }).LogLikelihood(requests);
        var truncatedShared = new LlamaLanguageModel(model, tokenizer, small).LogLikelihood(requests);
        Assert.True(truncatedPerPair.Zip(truncatedShared, (a, b) => Math.Abs(a.LogLikelihood - b.LogLikelihood)).Max() < 1e-4);
        Assert.Contains(truncatedShared.Zip(shared), p => Math.Abs(p.First.LogLikelihood - p.Second.LogLikelihood) > 1e-3);
    }

    [SkippableFact]
    public void PerPairScoresEqualTeacherForcedCrossEntropy()
    {
        // reference: one unpadded forward of context + continuation, CausalLoss (sum) over the continuation labels only
        using var model = Stories260KTests.LoadFromBin();
        var tokenizer = Tok512();
        var requests = ArcRequests(2);
        var lm = new LlamaLanguageModel(model, tokenizer, new LlamaLanguageModelOptions(BatchSize: 4));
        var got = lm.LogLikelihood(requests);
        var encoder = new RequestEncoder(tokenizer);
        using var _ = no_grad();
        for (int i = 0; i < requests.Count; i++)
        {
            using var scope = NewDisposeScope();
            var e = encoder.Encode(requests[i]);
            long[] ids = [.. e.Context.Select(x => (long)x), .. e.Continuation.Select(x => (long)x)];
            long[] labels = ids.Select((x, t) => t < e.Context.Length ? LlamaForCausalLM.IgnoreIndex : x).ToArray();
            var logits = model.Forward(tensor(ids, new long[] { 1, ids.Length })); // (1, T, V)
            double nll = CausalLoss.Compute(logits, tensor(labels, new long[] { 1, ids.Length }), sum: true).item<float>();
            Assert.True(Math.Abs(-nll - got[i].LogLikelihood) < 1e-4, $"request {i}: {-nll} vs {got[i].LogLikelihood}");
            var argmax = logits[0].argmax(-1).data<long>().ToArray(); // (T)
            bool greedy = Enumerable.Range(0, e.Continuation.Length).All(j => argmax[e.Context.Length - 1 + j] == e.Continuation[j]);
            Assert.Equal(greedy, got[i].IsGreedy);
        }
    }

    [SkippableFact]
    public void EncodingFollowsLmEvalEncodePair()
    {
        var tokenizer = Tok512();
        var encoder = new RequestEncoder(tokenizer);
        var e = encoder.Encode(new LogLikelihoodRequest("Once upon a ", "time"));
        Assert.Equal(tokenizer.Encode("Once upon a"), e.Context);
        Assert.Equal(tokenizer.Encode("Once upon a time")[e.Context.Length..], e.Continuation);
        Assert.Equal(1, e.Context[0]); // BOS
        var empty = encoder.Encode(new LogLikelihoodRequest("", "Once"));
        Assert.Equal(new[] { 1 }, empty.Context);
        Assert.Equal(tokenizer.Encode("Once", addBos: false), empty.Continuation);
    }

    [SkippableFact]
    public void NaturalContinuationIsMoreLikelyThanScrambled()
    {
        using var model = Stories260KTests.LoadFromBin();
        var lm = new LlamaLanguageModel(model, Tok512());
        const string context = "Once upon a time, there was a little girl named Lily.";
        var r = lm.LogLikelihood([
            new LogLikelihoodRequest(context, " She loved to play outside in the park."),
            new LogLikelihoodRequest(context, " park the She in outside loved play to."),
        ]);
        Assert.True(r[0].LogLikelihood > r[1].LogLikelihood + 5, $"{r[0].LogLikelihood} vs {r[1].LogLikelihood}");
    }

    [SkippableFact]
    public void GenerateUntilIsGreedyCutsAtStopsAndSamplesDifferButNotWithTheBatchSize()
    {
        using var model = Stories260KTests.LoadFromBin();
        var lm = new LlamaLanguageModel(model, Tok512(), new LlamaLanguageModelOptions(BatchSize: 2));
        var outs = lm.GenerateUntil([
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 12),
            new GenerationRequest("Once upon a time", ["girl"], MaxNewTokens: 40),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
        ]);
        // the model's greedy continuation (see ModelCommandsTests / the README's reference text)
        Assert.StartsWith(", there was a little", outs[0]);
        Assert.Equal(", there was a little ", outs[1]);
        Assert.True(outs[2] != outs[3] || outs[3] != outs[4], "samples of one prompt should not all be equal");
        var again = new LlamaLanguageModel(model, Tok512(), new LlamaLanguageModelOptions(BatchSize: 3)).GenerateUntil([
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 12),
            new GenerationRequest("Once upon a time", ["girl"], MaxNewTokens: 40),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
            new GenerationRequest("Once upon a time", [], MaxNewTokens: 30, Temperature: 1.0, Seed: 3),
        ]);
        Assert.Equal(outs, again); // same requests → same samples, whatever the batch size (a generator per request)
    }
}
