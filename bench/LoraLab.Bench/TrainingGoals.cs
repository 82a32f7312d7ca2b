using System.Globalization;

namespace LoraLab.Bench;

/// <summary>
/// Issue 11's training-efficiency goals, judged from one <c>--training</c> run's measurements (medians over repeats; the
/// speed ratio as the median of back-to-back pairs):
/// full finetuning's MFU ≥ 70% at the medium shape in fp32; LoRA ≥ 1.4× full finetuning's tokens/s; LoRA's peak memory
/// below full finetuning's by ≥ 90% of the frozen weights' gradient + optimizer bytes (AdamW: a float32 gradient and two
/// float32 moments, 12 bytes per frozen parameter, in fp32 and amp_bf16 alike, whose master weights are float32).
/// The speed goal is judged where the issue set it: its baseline (1.33×, against "theory ≈ 1.5×") and its MFU goal are
/// at the medium shape in fp32. Every other configuration's ratio is shown as information beside its FLOP bound, full
/// finetuning's FLOPs per token over LoRA's: at the small shape that bound is 1.41× and at medium 1.42×, so 1.4× there
/// asks LoRA to run at 98.7–99.4% of full finetuning's MFU. The ratio prints to three decimals, as the verdict reads it.
/// </summary>
public static class TrainingGoals
{
    public const double MinFullMfu = 0.70;
    public const double MinLoraSpeedup = 1.4;
    public const double MinMemorySaving = 0.90;
    public const double GradientAndAdamWBytes = 12;

    /// <summary>The configuration the speed goal is judged at (issue 11's own measurement).</summary>
    public const string SpeedShape = "medium", SpeedPrecision = "fp32";

    /// <summary>Whether the speed goal is judged at this configuration (elsewhere its ratio is information).</summary>
    public static bool JudgesSpeed(string shape, string precision, bool checkpointing) =>
        shape == SpeedShape && precision == SpeedPrecision && !checkpointing;

    /// <summary>One configuration's measurement: tokens/s, MFU, peak RSS (MB), and the trainable / total parameter counts.</summary>
    public sealed record Result(string Shape, string Mode, string Precision, bool Checkpointing, double TokensPerS, double Mfu, double PeakMb,
        long Trainable, long Total);

    /// <summary>The goal rows (goal, configuration, measured, target, PASS/FAIL) for the configurations measured.</summary>
    public static List<string[]> Rows(IReadOnlyList<Result> results)
    {
        var rows = new List<string[]>();
        var groups = results.Where(r => !r.Checkpointing).GroupBy(r => (r.Shape, r.Precision));
        foreach (var g in groups)
        {
            var full = Median(g.Where(r => r.Mode == "full").ToList());
            var lora = Median(g.Where(r => r.Mode == "lora").ToList());
            string where = $"{g.Key.Shape}, {g.Key.Precision}";
            if (full is not null && g.Key.Shape == "medium" && g.Key.Precision == "fp32")
                rows.Add(Row("full finetuning MFU", where, full.Mfu, $"{full.Mfu:P0}", MinFullMfu, $"≥ {MinFullMfu:P0}"));
            if (full is null || lora is null) continue;
            var pairs = PairRatios(g.ToList());
            double speedup = (pairs[(pairs.Count - 1) / 2] + pairs[pairs.Count / 2]) / 2; // the median (of the middle two, for an even count)
            string spread = pairs.Count > 1 ? Inv($"pairs {pairs[0]:F2}–{pairs[^1]:F2}; ") : "";
            // the most LoRA can gain at equal efficiency: full's FLOPs per token over LoRA's (each MFU ÷ tokens/s ∝ FLOPs per token)
            double flopRatio = full.Mfu / full.TokensPerS / (lora.Mfu / lora.TokensPerS);
            rows.Add(Row("LoRA / full tokens/s", where, speedup,
                Inv($"{speedup:F3}× ({spread}FLOP ratio {flopRatio:F2}×: LoRA at {speedup / flopRatio:P0} of full's MFU)"), MinLoraSpeedup,
                Inv($"≥ {MinLoraSpeedup:F1}×"), judged: JudgesSpeed(g.Key.Shape, g.Key.Precision, checkpointing: false)));
            long frozen = lora.Total - lora.Trainable;
            double frozenMb = frozen * GradientAndAdamWBytes / (1024.0 * 1024.0);
            double saving = (full.PeakMb - lora.PeakMb) / frozenMb;
            rows.Add(Row("memory saved / frozen grad+AdamW bytes", where, saving,
                Inv($"{saving:P0} ({full.PeakMb - lora.PeakMb:F0} of {frozenMb:F0} MB)"), MinMemorySaving, $"≥ {MinMemorySaving:P0}"));
        }
        return rows;
    }

    public static readonly string[] Header = { "goal", "configuration", "measured", "target", "verdict" };

    // A goal row; its verdict is "info" where the goal is not judged.
    private static string[] Row(string goal, string where, double value, string shown, double min, string target, bool judged = true) =>
        new[] { goal, where, shown, target, !judged ? "info" : value >= min ? "PASS" : "FAIL" };

    /// <summary>
    /// LoRA's tokens/s ÷ full finetuning's in the same repeat, in increasing order (the two run back to back, so the
    /// machine's drift between repeats cancels within a pair; the speed goal takes the median, and the spread shows how
    /// far one pair can be from it); runs pair up in the order they were measured.
    /// </summary>
    internal static List<double> PairRatios(IReadOnlyList<Result> runs)
    {
        var lora = runs.Where(r => r.Mode == "lora").ToList();
        var full = runs.Where(r => r.Mode == "full").ToList();
        return lora.Zip(full, (l, f) => l.TokensPerS / f.TokensPerS).Order().ToList();
    }

    // The median run by tokens/s (its own MFU and memory kept together); null when none was measured.
    private static Result? Median(List<Result> runs) => runs.Count == 0 ? null : runs.OrderBy(r => r.TokensPerS).ElementAt(runs.Count / 2);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
