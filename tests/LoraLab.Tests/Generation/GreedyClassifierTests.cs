using System.Runtime.InteropServices;
using LoraLab.Generation;
using LoraLab.Kernels;
using LoraLab.Models.Llama;
using static TorchSharp.torch;

namespace LoraLab.Tests.Generation;

/// <summary>
/// The greedy classifier's choice against the first maximum of the full float32 logits (<see cref="DecodeMath.MatVec"/>,
/// <see cref="TokenSampler.ArgMax"/>), on classifiers built so that its bfloat16 scores cannot tell the best rows apart.
/// </summary>
public unsafe class GreedyClassifierTests
{
    private const int Rows = 2048, Width = 256;

    [Fact]
    public void EveryFloat32LogitLiesWithinTheBoundOfItsBfloat16Score()
    {
        var rng = new Random(5);
        using var w = new Buffer(Rows * Width);
        for (int r = 0; r < Rows; r++)
        {
            // rows from 1e-3 to 1e3, and some at 1e-30, whose squared rounding errors underflow float32
            double magnitude = r % 97 == 0 ? 1e-30 : Math.Pow(10, rng.Next(-3, 4));
            for (int i = 0; i < Width; i++) w.P[(long)r * Width + i] = (float)(magnitude * Gaussian(rng));
        }
        using var greedy = new GreedyClassifier(w.P, Rows, Width);
        greedy.Build(0, Rows);
        using var h = new Buffer(Width);
        using var logits = new Buffer(Rows);
        using var scores = new Buffer(Rows);
        double tightest = double.PositiveInfinity;
        for (int trial = 0; trial < 20; trial++)
        {
            for (int i = 0; i < Width; i++) h.P[i] = (float)(Math.Pow(10, rng.Next(-2, 3)) * Gaussian(rng));
            DecodeMath.MatVec(w.P, h.P, logits.P, Width, Rows, 0, Rows);
            greedy.Score(h.P, scores.P, 0, Rows);
            double norm = Math.Sqrt(Enumerable.Range(0, Width).Sum(i => (double)h.P[i] * h.P[i]));
            for (int r = 0; r < Rows; r++)
            {
                double gap = Math.Abs((double)logits.P[r] - scores.P[r]), bound = norm * greedy.Bound(r);
                Assert.True(gap <= bound, $"row {r}: |logit − score| = {gap:E3} > bound {bound:E3}");
                if (gap > 0) tightest = Math.Min(tightest, bound / gap);
            }
        }
        // the bound is Cauchy–Schwarz over bfloat16's rounding: loose, but within a few hundred times the real gaps
        Assert.True(tightest < 300, $"the bound is looser than expected: at best {tightest:F0}× the gap");
    }

    [Fact]
    public void NearTiesTheBfloat16CopyCannotSeparateAreDecidedAsTheFloat32ArgmaxDecides()
    {
        var rng = new Random(11);
        using var w = new Buffer(Rows * Width);
        for (long i = 0; i < (long)Rows * Width; i++) w.P[i] = (float)(0.05 * Gaussian(rng));
        // rows 100..199 copy row 7 with changes far below bfloat16's resolution; rows 400..403 copy it exactly
        for (int r = 100; r < 200; r++)
            for (int i = 0; i < Width; i++)
                w.P[(long)r * Width + i] = w.P[7 * Width + i] * (1 + (float)(1e-5 * Gaussian(rng)));
        for (int r = 400; r < 404; r++) new Span<float>(w.P + 7 * Width, Width).CopyTo(new Span<float>(w.P + (long)r * Width, Width));
        using var greedy = new GreedyClassifier(w.P, Rows, Width);
        greedy.Build(0, Rows / 2);
        greedy.Build(Rows / 2, Rows);
        using var h = new Buffer(Width);
        using var logits = new Buffer(Rows);
        using var full = new Buffer(Rows);
        using var scores = new Buffer(Rows);
        int decidedByRescoring = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            // half the trials point h at row 7's family, so the winner is one of ~100 rows the copy scores alike
            for (int i = 0; i < Width; i++) h.P[i] = (float)((trial % 2 == 0 ? 20 * w.P[7 * Width + i] : 0) + Gaussian(rng));
            DecodeMath.MatVec(w.P, h.P, full.P, Width, Rows, 0, Rows);
            int expected = TokenSampler.ArgMax(new ReadOnlySpan<float>(full.P, Rows));
            greedy.Score(h.P, scores.P, 0, Rows);
            int chosen = greedy.Choose(h.P, scores.P, logits.P, (r0, r1) => DecodeMath.MatVec(w.P, h.P, logits.P, Width, Rows, r0, r1));
            Assert.True(chosen >= 0, $"trial {trial}: declined");
            Assert.Equal(expected, chosen);
            if (chosen != TokenSampler.ArgMax(new ReadOnlySpan<float>(scores.P, Rows))) decidedByRescoring++;
        }
        Assert.True(decidedByRescoring >= 20, $"only {decidedByRescoring} of 200 choices differed from the bfloat16 argmax: the test lost its near ties");
    }

    [Fact]
    public void EqualRowsGiveTheFirstAndANonFiniteStateDeclines()
    {
        using var w = new Buffer(Rows * Width);
        for (long i = 0; i < (long)Rows * Width; i++) w.P[i] = 0.25f;
        using var greedy = new GreedyClassifier(w.P, Rows, Width);
        greedy.Build(0, Rows);
        using var h = new Buffer(Width);
        using var logits = new Buffer(Rows);
        using var scores = new Buffer(Rows);
        for (int i = 0; i < Width; i++) h.P[i] = 1f;
        greedy.Score(h.P, scores.P, 0, Rows);
        // every row ties: more candidates than it rescores, so it declines and the caller takes the full argmax
        Assert.Equal(-1, greedy.Choose(h.P, scores.P, logits.P, (r0, r1) => DecodeMath.MatVec(w.P, h.P, logits.P, Width, Rows, r0, r1)));
        w.P[5 * Width] = 0.5f; // row 5 now wins outright, and rows 0..3 of its block are rescored with it
        using var one = new GreedyClassifier(w.P, Rows, Width);
        one.Build(0, Rows);
        one.Score(h.P, scores.P, 0, Rows);
        Assert.Equal(5, one.Choose(h.P, scores.P, logits.P, (r0, r1) => DecodeMath.MatVec(w.P, h.P, logits.P, Width, Rows, r0, r1)));
        h.P[3] = float.NaN;
        one.Score(h.P, scores.P, 0, Rows);
        Assert.Equal(-1, one.Choose(h.P, scores.P, logits.P, (_, _) => throw new InvalidOperationException("no rescoring expected")));
        w.P[9] = float.PositiveInfinity;
        using var infinite = new GreedyClassifier(w.P, Rows, Width);
        infinite.Build(0, Rows);
        Assert.False(infinite.Usable);
        Assert.True(one.Usable);
        Assert.Equal(-1, infinite.Choose(h.P, scores.P, logits.P, (_, _) => throw new InvalidOperationException("no rescoring expected")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheDecodersGreedyStepChoosesTheArgmaxOfItsOwnLogits(int threads)
    {
        var config = new LlamaConfig
        {
            HiddenSize = 128, IntermediateSize = 200, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 32,
            VocabSize = 4096, MaxPositionEmbeddings = 64, TieWordEmbeddings = true, RmsNormEps = 1e-5,
        };
        Assert.True(GreedyClassifier.Worth(config.VocabSize, config.HiddenSize));
        manual_seed(77);
        using var model = new LlamaForCausalLM(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("norm.weight")) p.uniform_(0.5, 1.5);
                else p.normal_(0, 0.1);
        model.eval();
        using var plain = new FusedDecoder(model, 64, threads);
        using var greedy = new FusedDecoder(model, 64, threads, greedy: true);
        int token = 1;
        for (int pos = 0; pos < 64; pos++)
        {
            int expected = TokenSampler.ArgMax(plain.Step(token, pos));
            int chosen = greedy.StepGreedy(token, pos);
            Assert.Equal(expected, chosen);
            token = (chosen * 31 + pos) % config.VocabSize; // wander over the vocabulary rather than loop on one token
        }
    }

    private static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    // 64-byte aligned native floats, freed on dispose.
    private sealed class Buffer(long count) : IDisposable
    {
        public float* P { get; } = (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);

        public void Dispose() => NativeMemory.AlignedFree(P);
    }
}
