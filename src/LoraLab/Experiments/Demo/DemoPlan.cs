using LoraLab.Experiments.Demo.Data;

namespace LoraLab.Experiments.Demo;

/// <summary>The sizes and the grid of one demo run, chosen by <see cref="DemoOptions.Quick"/>.</summary>
public sealed record DemoPlan
{
    public required DemoDataOptions Data { get; init; }
    public required int PretrainSteps { get; init; }
    public required int FinetuneSteps { get; init; }
    public required int EvalPoints { get; init; }
    public required IReadOnlyList<(string Method, int? Rank, double Lr)> Runs { get; init; }
    public int SeqLen { get; init; } = 192;
    public int BatchSize { get; init; } = 16;
    public int DiversitySamples { get; init; } = 8;
    public int DiversityTokens { get; init; } = 100;

    public static DemoPlan For(DemoOptions options) => options.Quick
        ? new DemoPlan
        {
            Data = new DemoDataOptions { Seed = options.Seed, SourceTrainStories = 1500, SourceHeldOutStories = 80, ClozeItems = 80, TargetTrainProblems = 800, TargetTestProblems = 60 },
            PretrainSteps = 250,
            FinetuneSteps = 80,
            EvalPoints = 4,
            Runs = new (string, int?, double)[] { ("full", null, 1e-4), ("lora", 1, 1e-3), ("lora", 8, 1e-3) },
        }
        : new DemoPlan
        {
            Data = new DemoDataOptions { Seed = options.Seed, SourceTrainStories = 3000, SourceHeldOutStories = 200, ClozeItems = 200, TargetTrainProblems = 2000, TargetTestProblems = 150 },
            PretrainSteps = 900,
            FinetuneSteps = 240,
            EvalPoints = 6,
            Runs = new (string, int?, double)[]
            {
                ("full", null, 3e-5), ("full", null, 1e-4),
                ("lora", 1, 3e-4), ("lora", 1, 1e-3), ("lora", 8, 3e-4), ("lora", 8, 1e-3),
            },
        };
}
