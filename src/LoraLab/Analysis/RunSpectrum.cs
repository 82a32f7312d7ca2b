using System.Globalization;
using System.Text;
using System.Text.Json;
using LoraLab.Checkpoints;
using LoraLab.Training.Logging;
using LoraLab.Training;

namespace LoraLab.Analysis;

/// <summary>
/// <c>loralab analyze spectrum --run RUN_DIR</c>: the spectrum of ΔW (against the base in the run's config) at every kept
/// checkpoint, written as <see cref="CsvFile"/> (one row per checkpoint × layer × module, with <c>step</c> and
/// <c>tokens</c> columns) and <see cref="JsonFile"/>; the plot of rank vs tokens is <c>Reports.SpectrumOverTrainingPlot</c>.
/// </summary>
public static class RunSpectrum
{
    public const string DefaultDirName = "spectrum";
    public const string CsvFile = "spectrum_run.csv";
    public const string JsonFile = "spectrum_run.json";

    public static IReadOnlyList<CheckpointSpectrum> Analyse(string runDir, SpectrumAnalysis analysis, TextWriter? progress = null)
    {
        var checkpoints = ModelSource.RunCheckpoints(runDir);
        string run = checkpoints[0].RunDirectory!;
        var line = new ProgressLine(progress, checkpoints.Count, 0);
        var results = new List<CheckpointSpectrum>();
        for (int i = 0; i < checkpoints.Count; i++)
        {
            var c = checkpoints[i];
            line.Update(i, "checkpoints", $"spectrum {Path.GetFileName(c.Path)}");
            results.Add(new CheckpointSpectrum(c.Manifest!.Step, c.Manifest.TokensSeen, Path.GetRelativePath(run, c.Path), analysis.Analyse(c)));
        }
        line.Update(checkpoints.Count, "checkpoints", "spectrum done");
        line.Finish();
        return results;
    }

    /// <summary>Writes the CSV and the JSON (ranks and norms; every singular value of ΔW in the JSON).</summary>
    public static void Write(IReadOnlyList<CheckpointSpectrum> results, string outDir, double threshold)
    {
        Directory.CreateDirectory(outDir);
        var csv = new StringBuilder("step,tokens,checkpoint,layer,module,rows,cols,delta_rank,base_rank,random_rank," +
            "marchenko_pastur_rank,delta_frobenius_norm\n");
        foreach (var c in results)
            foreach (var r in c.Modules)
                csv.Append(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Step},{c.Tokens},{c.Checkpoint},{r.Layer},{r.Module},{r.Rows},{r.Cols}," +
                        $"{r.DeltaRank},{r.BaseRank},{r.RandomRank},{r.MarchenkoPasturRank},{r.DeltaFrobeniusNorm:R}\n"));
        AtomicFile.WriteAllText(Path.Combine(outDir, CsvFile), csv.ToString());
        var json = JsonSerializer.Serialize(new
        {
            variance_threshold = threshold,
            checkpoints = results.Select(c => new
            {
                step = c.Step,
                tokens = c.Tokens,
                checkpoint = c.Checkpoint,
                mean_rank_by_module = c.MeanRankByModule().ToDictionary(m => m.Module, m => m.MeanRank),
                modules = c.Modules.Select(m => m.FileFields(withBaseSingularValues: false)),
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
        AtomicFile.WriteAllText(Path.Combine(outDir, JsonFile), json);
    }
}
