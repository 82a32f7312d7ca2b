using LoraLab.Analysis;
using LoraLab.Reports;

namespace LoraLab.Tests.Reports;

/// <summary>
/// Plausible made-up study results for rendering tests and the manual browser check: one full-finetuning run and LoRA
/// r = 4, 16, 64, three checkpoints each, on a 4-layer model. Full learns most and forgets most; ΔW of the full run
/// needs a high rank, LoRA's stays at or below r. Deterministic (seeded).
/// </summary>
public static class FakeStudy
{
    public static ReportData Create(string firstRunId = "full-lr2e-5")
    {
        var rng = new Random(1234);
        var runs = new List<RunRecord>
        {
            Run(rng, firstRunId, "full", null, 2e-5, gain: 0.30, loss: 0.12, finalLoss: 0.55),
            Run(rng, "lora-r4", "lora", 4, 2e-4, gain: 0.16, loss: 0.03, finalLoss: 0.80),
            Run(rng, "lora-r16", "lora", 16, 2e-4, gain: 0.20, loss: 0.045, finalLoss: 0.72),
            Run(rng, "lora-r64", "lora", 64, 2e-4, gain: 0.23, loss: 0.06, finalLoss: 0.66),
        };
        return new ReportData
        {
            Title = "LoRA learns less and forgets less: stories15M, GSM8K IFT",
            Subtitle = "Instruction finetuning on GSM8K; forgetting = mean of HellaSwag, ARC-Challenge, WinoGrande accuracy.",
            Target = new MetricSpec { Name = "GSM8K accuracy", HigherIsBetter = true },
            Forgetting = new MetricSpec { Name = "source accuracy", HigherIsBetter = true },
            DiversityName = "distinct-3",
            Runs = runs,
            Findings =
            [
                new Finding { Statement = "Full finetuning learns more than LoRA at every rank.", Verdict = FindingVerdict.Holds,
                    Evidence = "final GSM8K 0.38 (full) vs 0.24–0.31 (LoRA)." },
                new Finding { Statement = "LoRA forgets less than full finetuning.", Verdict = FindingVerdict.Holds,
                    Evidence = "source accuracy drop 0.03–0.06 vs 0.12." },
                new Finding { Statement = "LoRA r=4 learns as much as r=64.", Verdict = FindingVerdict.DoesNotHold, Evidence = "0.24 vs 0.31 GSM8K accuracy." },
            ],
        };
    }

    private static RunRecord Run(Random rng, string id, string method, int? rank, double lr, double gain, double loss, double finalLoss)
    {
        long[] steps = [100, 200, 400];
        var checkpoints = steps.Select((s, i) =>
        {
            double f = (i + 1) / 3.0;
            return new CheckpointPoint
            {
                Step = s, TokensSeen = s * 64 * 512,
                Target = Math.Round(0.08 + gain * Math.Sqrt(f) + 0.005 * rng.NextDouble(), 4),
                Forgetting = Math.Round(0.52 - loss * f - 0.003 * rng.NextDouble(), 4),
                Diversity = Math.Round(0.62 - (rank is null ? 0.15 : 0.04) * f, 4),
            };
        }).ToList();
        var trainingLoss = Enumerable.Range(0, 41).Select(i => new LossPoint
        {
            Step = i * 10,
            Loss = Math.Round(finalLoss + 1.6 * Math.Exp(-i / 8.0) + 0.04 * (rng.NextDouble() - 0.5), 4),
        }).ToList();
        return new RunRecord
        {
            RunId = id, Method = method, Rank = rank, LearningRate = lr, TargetModules = "all", Regime = "ift", Seed = 17,
            Checkpoints = checkpoints, TrainingLoss = trainingLoss, Spectrum = Spectrum(rng, rank),
        };
    }

    private static List<ModuleSpectrum> Spectrum(Random rng, int? rank)
    {
        (string Name, int Rows, int Cols)[] modules =
            [("q_proj", 288, 288), ("k_proj", 288, 288), ("v_proj", 288, 288), ("o_proj", 288, 288), ("gate_proj", 768, 288), ("up_proj", 768, 288),
                ("down_proj", 288, 768)];
        var list = new List<ModuleSpectrum>();
        for (int layer = 0; layer < 4; layer++)
            foreach (var (name, rows, cols) in modules)
            {
                int max = Math.Min(rows, cols);
                int baseline = (int)(0.74 * max); // Marchenko–Pastur-like: a random matrix needs most of its rank
                int full = (int)(max * (0.35 + 0.08 * layer + 0.1 * rng.NextDouble()));
                list.Add(new ModuleSpectrum
                {
                    Layer = layer, Module = name, Rows = rows, Cols = cols, RandomRank = baseline,
                    DeltaRank = rank is { } r ? Math.Max(1, r - rng.Next(0, Math.Max(1, r / 4))) : full,
                });
            }
        return list;
    }
}
