using System.CommandLine;
using LoraLab.Analysis;
using LoraLab.Reports;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab analyze spectrum --base DIR (--finetuned DIR | --adapter DIR) --out DIR [--curves-layer N] [--no-plots]</c>.</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var command = new Command("analyze", "Analyse what finetuning changed in the weights.");
        command.Subcommands.Add(CreateSpectrum());
        return command;
    }

    private static Command CreateSpectrum()
    {
        var baseDir = new Option<DirectoryInfo>("--base") { Description = "the base model directory", Required = true };
        var finetuned = new Option<DirectoryInfo?>("--finetuned") { Description = "a fully finetuned model directory (ΔW = W_finetuned − W_base)" };
        var adapter = new Option<DirectoryInfo?>("--adapter") { Description = "a PEFT LoRA adapter directory (ΔW = s·B·A, from its factors)" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory for spectrum.csv, spectrum.json, spectrum_curves.png and spectrum_heatmap.png", Required = true };
        var threshold = new Option<double>("--threshold") { Description = "share of variance the rank must explain", DefaultValueFactory = _ => 0.9 };
        var seed = new Option<long>("--seed") { Description = "seed of the random-matrix baseline", DefaultValueFactory = _ => 0L };
        var curvesLayer = new Option<int?>("--curves-layer") { Description = "layer whose modules spectrum_curves.png shows (default: the middle layer)" };
        var noPlots = new Option<bool>("--no-plots") { Description = "write only the CSV and JSON (the plots need a system font)" };
        var command = new Command("spectrum", "Singular values of ΔW per layer and module, the rank needed for 90% of its variance, and a random-matrix baseline.")
        {
            baseDir, finetuned, adapter, outDir, threshold, seed, curvesLayer, noPlots,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var ft = parse.GetValue(finetuned);
            var ad = parse.GetValue(adapter);
            if ((ft is null) == (ad is null)) throw new LoraLabException("give exactly one of --finetuned DIR or --adapter DIR.");
            bool plots = !parse.GetValue(noPlots);
            if (plots) PlotFont.Require(); // before the SVDs, not after
            var analysis = new SpectrumAnalysis(parse.GetValue(threshold), parse.GetValue(seed));
            string b = parse.GetValue(baseDir)!.FullName;
            var results = ft is not null ? analysis.CompareModels(b, ft.FullName) : analysis.AnalyseAdapter(b, ad!.FullName);
            string o = parse.GetValue(outDir)!.FullName;
            SpectrumAnalysis.Write(results, o, analysis.Threshold);
            if (plots) SpectrumPlots.Write(results, o, analysis.Threshold, analysis.Seed, parse.GetValue(curvesLayer));
            Console.Out.WriteLine("layer  module     shape        ΔW rank  W rank  random  MP");
            foreach (var r in results)
                Console.Out.WriteLine($"{r.Layer,5}  {r.Module,-9}  {r.Rows,5}×{r.Cols,-5}  {r.DeltaRank,7}  {r.BaseRank,6}  {r.RandomRank,6}  {r.MarchenkoPasturRank,3}");
            Console.Error.WriteLine($"wrote {Path.Combine(o, "spectrum.csv")}, spectrum.json" +
                (plots ? $", {SpectrumPlots.CurvesFile} and {SpectrumPlots.HeatmapFile}" : ""));
            return 0;
        }));
        return command;
    }
}
