using LoraLab.Experiments.Demo.Data;

namespace LoraLab.Experiments.Demo;

/// <summary>
/// The sizes and the method of one demo, chosen by <see cref="DemoOptions.Quick"/>: the study's method in miniature.
/// A learning-rate sweep per method (full finetuning; LoRA on all modules at the small rank), the best final target
/// loss choosing each method's learning rate; at LoRA's best rate, LoRA on all / MLP / attention modules at a small and
/// a large rank; at full finetuning's best rate, full finetuning with weight decay and with dropout (the regularisation
/// baselines); every run evaluated at <see cref="EvalPoints"/> checkpoints, each configuration at every seed. The full
/// demo's grids reach one rate above the best rate measured for each method, so that the data bracket the optimum; the
/// quick demo's three rates per method are what its budget allows, and its best rates sit at their tops (a best rate at
/// an end of its grid is reported as such). The base model's pretraining text
/// holds a few word problems (about 4% of its tokens), as a web-trained base has seen some math before a math finetune.
/// </summary>
public sealed record DemoPlan
{
    public required DemoDataOptions Data { get; init; }

    /// <summary>
    /// Pretraining steps of the base model. How far the base is trained sets how gradual forgetting is: the full demo's base
    /// (1500 steps, source loss 0.16) finetuned by full finetuning at 3e-4 keeps cloze accuracy 74–76 % (base: 92 %)
    /// and collapses one rate higher, where the quick demo's (250 steps, 0.46; all its 3-minute budget allows) loses a large
    /// part of it already at 3e-4.
    /// </summary>
    public required int PretrainSteps { get; init; }

    public required int FinetuneSteps { get; init; }

    /// <summary>Evaluations along each finetuning run (evenly spaced, the last at the end), besides the base model's.</summary>
    public required int EvalPoints { get; init; }

    /// <summary>Full finetuning's learning-rate sweep (DecoupledLionW).</summary>
    public required IReadOnlyList<double> FullLrs { get; init; }

    /// <summary>LoRA's learning-rate sweep (all modules, <see cref="SmallRank"/>).</summary>
    public required IReadOnlyList<double> LoraLrs { get; init; }

    /// <summary>The "typical" LoRA rank: the study's r = 16 of 4096 dimensions is 0.4%; 2 of 128 here is 1.6%.</summary>
    public int SmallRank { get; init; } = 2;

    /// <summary>The high rank (the study's 256 of 4096 is 6%; 16 of 128 here is 12%).</summary>
    public int LargeRank { get; init; } = 16;

    /// <summary>Whether MLP-only and attention-only LoRA also run at <see cref="LargeRank"/> (all modules always does).</summary>
    public bool TargetsAtLargeRank { get; init; }

    /// <summary>Full finetuning's weight decay baseline (DecoupledLionW's per-step decay, scaled by the schedule).</summary>
    public double WeightDecay { get; init; } = 1e-3;

    /// <summary>Full finetuning's dropout baseline (dropout in the model's residual branches while training).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Finetuning seeds: every configuration runs once per seed; verdicts compare methods seed by seed.</summary>
    public required IReadOnlyList<int> Seeds { get; init; }

    /// <summary>Pretraining window and source-domain evaluation window, tokens.</summary>
    public int SeqLen { get; init; } = 192;

    /// <summary>Finetuning sequence length: every word problem with its worked solution fits.</summary>
    public int FinetuneSeqLen { get; init; } = 256;

    public int BatchSize { get; init; } = 16;

    public int FinetuneBatchSize { get; init; } = 8;

    public int DiversitySamples { get; init; } = 8;

    public int DiversityTokens { get; init; } = 100;

    /// <summary>The plan for <paramref name="options"/>; <see cref="DemoOptions.Seeds"/> overrides the seed count.</summary>
    public static DemoPlan For(DemoOptions options)
    {
        int seeds = options.Seeds ?? (options.Quick ? 1 : 2);
        if (seeds < 1) throw new LoraLabException($"--seeds must be ≥ 1, got {seeds}");
        var seedList = Enumerable.Range(0, seeds).Select(i => options.Seed + i).ToList();
        return options.Quick
            ? new DemoPlan
            {
                Data = new DemoDataOptions
                {
                    Seed = options.Seed, SourceTrainStories = 1500, SourceHeldOutStories = 60, ClozeItems = 80,
                    TargetTrainProblems = 800, TargetTestProblems = 40, PretrainProblems = 100,
                },
                PretrainSteps = 250,
                FinetuneSteps = 40,
                EvalPoints = 3,
                FullLrs = [3e-5, 1e-4, 3e-4],
                LoraLrs = [3e-4, 1e-3, 3e-3],
                Seeds = seedList,
            }
            : new DemoPlan
            {
                Data = new DemoDataOptions
                {
                    Seed = options.Seed, SourceTrainStories = 3000, SourceHeldOutStories = 100, ClozeItems = 150,
                    TargetTrainProblems = 2000, TargetTestProblems = 80, PretrainProblems = 200,
                },
                PretrainSteps = 1500,
                FinetuneSteps = 80,
                EvalPoints = 4,
                FullLrs = [3e-5, 1e-4, 3e-4, 1e-3, 3e-3],
                LoraLrs = [3e-4, 1e-3, 3e-3, 1e-2],
                TargetsAtLargeRank = true,
                Seeds = seedList,
            };
    }

    /// <summary>The evaluation steps of a finetuning run: <see cref="EvalPoints"/> evenly spaced, the last at the end.</summary>
    public IReadOnlySet<long> EvalSteps() =>
        Enumerable.Range(1, EvalPoints).Select(i => (long)Math.Round((double)FinetuneSteps * i / EvalPoints)).ToHashSet();
}
