using System.CommandLine;
using LoraLab.Analysis;
using LoraLab.Checkpoints;
using LoraLab.Reports;
using LoraLab.Training;
using LoraLab.Training.Logging;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab analyze spectrum --base DIR (--finetuned DIR | --adapter DIR) --out DIR [--curves-layer N] [--no-plots]</c>.</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var command = new Command("analyze", "Analyse what finetuning changed in the weights.");
        command.Subcommands.Add(CreateSpectrum());
        command.Subcommands.Add(CreateIntruders());
        return command;
    }

    private static Command CreateSpectrum()
    {
        var baseDir = new Option<DirectoryInfo>("--base") { Description = "the base model directory (not needed for a run's checkpoint or final/: the " +
            "run's config names it)" };
        var finetuned = new Option<DirectoryInfo?>("--finetuned") { Description = "a fully finetuned model directory (ΔW = W_finetuned − W_base), or a " +
            "run's checkpoints/step-N or final/" };
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "a PEFT LoRA adapter directory (ΔW = s·B·A, from its factors)" };
        var run = new Option<DirectoryInfo?>("--run") { Description = "a run directory: ΔW at every kept checkpoint (spectrum_run.csv/json with a step " +
            "column, spectrum_rank_vs_tokens.png)" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory for spectrum.csv, spectrum.json, spectrum_curves.png and " +
            "spectrum_heatmap.png (with --run: default RUN/spectrum)" };
        var threshold = new Option<double>("--threshold") { Description = "share of variance the rank must explain", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<long>("--seed") { Description = "seed of the random-matrix baseline", DefaultValueFactory = _ => 0L };
        var curvesLayer = new Option<int?>("--curves-layer") { Description = "layer whose modules spectrum_curves.png shows (default: the middle layer)" };
        var device = DeviceOption.Create();
        var noPlots = new Option<bool>("--no-plots") { Description = "write only the CSV and JSON (the plots need a system font)" };
        var command = new Command("spectrum", "Singular values of ΔW per layer and module, the rank needed for 90% of its variance, and a " +
            "random-matrix baseline.")
        {
            baseDir, finetuned, adapter, run, outDir, threshold, seed, curvesLayer, noPlots, device,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var ft = parse.GetValue(finetuned);
            var ad = parse.GetValue(adapter);
            var runDir = parse.GetValue(run);
            bool plots = !parse.GetValue(noPlots);
            if (plots) PlotFont.Require(); // before the SVDs, not after
            var analysis = new SpectrumAnalysis(parse.GetValue(threshold), parse.GetValue(seed)) { Device = DeviceOption.Resolve(parse, device) };
            string? b = parse.GetValue(baseDir)?.FullName;
            if (runDir is not null)
            {
                if (ft is not null || ad is not null || b is not null) throw new LoraLabException("--run takes the base and the checkpoints from the " +
                    "run; drop --base, --finetuned and --adapter.");
                return RunSpectrumOf(runDir.FullName, parse.GetValue(outDir)?.FullName, analysis, plots);
            }
            if ((ft is null) == (ad is null)) throw new LoraLabException("give exactly one of --finetuned DIR, --adapter DIR or --run RUN_DIR.");
            string o = parse.GetValue(outDir)?.FullName ?? throw new LoraLabException("--out DIR is required");
            IReadOnlyList<LoraLab.Analysis.ModuleSpectrum> results;
            if (ft is not null && b is null)
            {
                var source = ModelSource.Resolve(ft.FullName);
                if (source.Kind == ModelSourceKind.Model) throw new LoraLabException($"{ft.FullName}: a plain model directory needs --base DIR to " +
                    "compare against.");
                results = analysis.Analyse(source);
            }
            else
            {
                if (b is null) throw new LoraLabException("--adapter needs --base DIR (the model the adapter was trained on).");
                results = ft is not null ? analysis.CompareModels(b, ft.FullName) : analysis.AnalyseAdapter(b, ad!.FullName);
            }
            SpectrumAnalysis.Write(results, o, analysis.Threshold);
            if (plots) SpectrumPlots.Write(results, o, analysis.Threshold, analysis.Seed, parse.GetValue(curvesLayer));
            Console.Out.WriteLine("layer  module     shape        ΔW rank  W rank  random  MP");
            foreach (var r in results)
                Console.Out.WriteLine($"{r.Layer,5}  {r.Module,-9}  {r.Rows,5}×{r.Cols,-5}  {r.DeltaRank,7}  {r.BaseRank,6}  {r.RandomRank,6}  " +
                    $"{r.MarchenkoPasturRank,3}");
            Console.Error.WriteLine($"wrote {Path.Combine(o, "spectrum.csv")}, spectrum.json" +
                (plots ? $", {SpectrumPlots.CurvesFile} and {SpectrumPlots.HeatmapFile}" : ""));
            return 0;
        }));
        return command;
    }

    private static Command CreateIntruders()
    {
        var model = new Option<DirectoryInfo?>("--model") { Description = "a run's checkpoints/step-N, a LoRA run's final/ (base from the run's config)" };
        var run = new Option<DirectoryInfo?>("--run") { Description = "a run directory: every kept checkpoint" };
        var k = new Option<int>("--k") { Description = "top singular vectors of the finetuned weight examined (Shuttleworth et al.'s default 10)",
            DefaultValueFactory = _ => IntruderDimensions.DefaultK };
        var epsilon = new Option<double>("--epsilon")
        {
            Description = "cosine-similarity threshold ε: an intruder's |cos| with every base singular vector is below it (the authors' default 0.5)",
            DefaultValueFactory = _ => IntruderDimensions.DefaultEpsilon,
        };
        var outFile = new Option<FileInfo?>("--out") { Description = "CSV with step, layer, module, intruders" };
        var command = new Command("intruders", "Intruder dimensions (Shuttleworth et al., arXiv 2410.21228): per module, how many of the finetuned " +
            "weight's top-k singular vectors have |cos| < ε with every singular vector of the base weight.")
        {
            model, run, k, epsilon, outFile,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            double eps = parse.GetValue(epsilon);
            int top = parse.GetValue(k);
            var m = parse.GetValue(model);
            var r = parse.GetValue(run);
            if ((m is null) == (r is null)) throw new LoraLabException("give exactly one of --model CHECKPOINT or --run RUN_DIR.");
            var sources = r is not null ? ModelSource.RunCheckpoints(r.FullName) : [ModelSource.Resolve(m!.FullName)];
            var progress = new ProgressLine(Console.Error, sources.Count, 0);
            using var baseDirections = new BaseDirectionCache(); // a run's checkpoints share one base: its SVDs are done once
            var csv = new System.Text.StringBuilder("step,checkpoint,layer,module,intruders\n");
            Console.Out.WriteLine($"checkpoint            intruders (k={top}, ε={eps}; sum over modules)");
            for (int i = 0; i < sources.Count; i++)
            {
                var source = sources[i];
                progress.Update(i, "checkpoints", $"intruders {Path.GetFileName(source.Path)}");
                var rows = IntruderDimensions.Analyse(source, top, eps, baseDirections);
                foreach (var (layer, module, n) in rows)
                    csv.Append(System.FormattableString.Invariant($"{source.Manifest?.Step},{Path.GetFileName(source.Path)},{layer},{module},{n}\n"));
                Console.Out.WriteLine($"{Path.GetFileName(source.Path),-20}  {rows.Sum(x => x.Intruders)}");
            }
            progress.Update(sources.Count, "checkpoints", "intruders done");
            progress.Finish();
            if (parse.GetValue(outFile) is { } o) AtomicFile.WriteAllText(o.FullName, csv.ToString());
            return 0;
        }));
        return command;
    }

    private static int RunSpectrumOf(string runDir, string? outDir, SpectrumAnalysis analysis, bool plots)
    {
        var results = RunSpectrum.Analyse(runDir, analysis, Console.Error);
        string o = outDir ?? Path.Combine(Path.GetFullPath(runDir), RunSpectrum.DefaultDirName);
        RunSpectrum.Write(results, o, analysis.Threshold);
        if (plots) SpectrumOverTrainingPlot.Write(results, o, analysis.Threshold);
        var modules = results[0].MeanRankByModule().Select(m => m.Module).ToList();
        Console.Out.WriteLine("step      tokens  " + string.Join("  ", modules.Select(m => $"{m,9}")) + "   (mean ΔW rank over layers)");
        foreach (var c in results)
        {
            var ranks = c.MeanRankByModule().ToDictionary(m => m.Module, m => m.MeanRank);
            Console.Out.WriteLine($"{c.Step,6}  {c.Tokens,10}  " +
                string.Join("  ", modules.Select(m => ranks.TryGetValue(m, out var r) ? $"{r,9:F2}" : $"{"-",9}")));
        }
        Console.Error.WriteLine($"wrote {Path.Combine(o, RunSpectrum.CsvFile)}, " +
            $"{RunSpectrum.JsonFile}" + (plots ? $" and {SpectrumOverTrainingPlot.File}" : ""));
        return 0;
    }
}
