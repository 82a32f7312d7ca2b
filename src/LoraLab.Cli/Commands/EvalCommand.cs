using System.CommandLine;
using System.Globalization;
using LoraLab.Checkpoints;
using LoraLab.Evaluation.HumanEval;
using LoraLab.Evaluation.Suite;
using LoraLab.Models.Llama;
using LoraLab.Training;

namespace LoraLab.Cli.Commands;

/// <summary>
/// <c>loralab eval --model DIR --tasks … --out results.json</c>: evaluate a model (optionally with a LoRA adapter) on
/// lm-eval tasks, HumanEval and perplexity; <c>loralab eval humaneval</c>: functional correctness of precomputed completions.
/// </summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a model or its outputs on benchmarks.");
        command.Subcommands.Add(CreateHumanEval());
        var o = new EvalModelOptions();
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(parse => CliRunner.Run(() => RunModel(parse, o)));
        return command;
    }

    private static int RunModel(ParseResult parse, EvalModelOptions o)
    {
        var on = DeviceOption.Resolve(parse, o.Device);
        string? runDir = parse.GetValue(o.Run)?.FullName;
        string? modelDir = parse.GetValue(o.Model)?.FullName;
        if (runDir != null && (modelDir != null || parse.GetValue(o.Adapter) != null))
            throw new LoraLabException("--run evaluates a run's own checkpoints; drop --model and --adapter");
        if (runDir == null && parse.GetValue(o.Checkpoints) != null) throw new LoraLabException("--checkpoints applies only with --run RUN_DIR");
        string tasks = parse.GetValue(o.Tasks) ?? throw new LoraLabException("--tasks is required, e.g. --tasks gsm8k,hellaswag,arc_challenge,winogrande");
        var options = Options(parse, o, tasks);
        if (runDir != null && on is not null && on.type != TorchSharp.DeviceType.CPU)
            throw new LoraLabException("--run evaluates on the CPU only; evaluate a checkpoint on a GPU with --model CHECKPOINT_DIR --device ...");
        if (runDir != null) return RunCheckpoints(parse, o, runDir, options);
        if (modelDir == null) throw new LoraLabException("--model DIR or --run RUN_DIR is required (or use `loralab eval humaneval` for precomputed samples)");
        string outPath = parse.GetValue(o.Out)?.FullName ?? throw new LoraLabException("--out results.json is required");
        string? adapterDir = parse.GetValue(o.Adapter)?.FullName;
        options.Validate(); // before the model loads: an unknown task fails fast
        string dtypeName = parse.GetValue(o.Dtype)!;
        var dtype = LlamaCheckpoint.ParseDtype(dtypeName);
        var source = ModelSource.Resolve(modelDir, adapterDir);
        using LlamaForCausalLM model = DeviceOption.MoveTo(source.Load(dtype), on);
        var tokenizer = source.LoadTokenizer(model.Config.VocabSize);
        var (modelId, weightsId) = ModelIdentity.Of(source);
        var results = EvalSuite.Run(model, tokenizer, modelId, weightsId, dtypeName, options, outPath,
            task => Console.Error.WriteLine($"eval {task}"));
        foreach (var (task, metrics) in results.Metrics)
            Console.WriteLine($"{task}: {string.Join(" ", metrics.Select(p => $"{p.Key}={p.Value.ToString("G5", CultureInfo.InvariantCulture)}"))}");
        if (results.Forgetting is { } forgetting) Console.WriteLine($"forgetting_score: {forgetting.Value.ToString("F4", CultureInfo.InvariantCulture)}");
        if (results.Target is { } target) Console.WriteLine($"target_score: {target.Value.ToString("F4", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"results: {outPath}; per-sample log: {EvalSuite.SamplesLogPath(outPath)}");
        return 0;
    }

    private static int RunCheckpoints(ParseResult parse, EvalModelOptions o, string runDir, EvalSuiteOptions options)
    {
        var settings = new RunEvaluationOptions
        {
            Selection = parse.GetValue(o.Checkpoints) is string sel ? CheckpointSelection.Parse(sel, "--checkpoints") : CheckpointSelection.All,
            Dtype = parse.GetValue(o.Dtype)!,
            OutDir = parse.GetValue(o.Out)?.FullName,
            Progress = Console.Error,
        };
        LlamaCheckpoint.ParseDtype(settings.Dtype);
        var rows = RunEvaluation.EvaluateCheckpoints(runDir, options, settings);
        Console.WriteLine("step      tokens  forgetting  target   checkpoint");
        foreach (var row in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Step,6}  {row.Tokens,10}  {Num(row.ForgettingScore),10}  {Num(row.TargetScore),7}  {row.Checkpoint}"));
        string outDir = settings.OutDir ?? Path.Combine(runDir, RunEvaluation.EvalDirName);
        Console.WriteLine($"curve: {Path.Combine(outDir, RunEvaluation.CurveFile)} ({rows.Count} checkpoints)");
        return 0;
    }

    private static string Num(double? v) => v is double d ? d.ToString("F4", CultureInfo.InvariantCulture) : "-";

    private static EvalSuiteOptions Options(ParseResult parse, EvalModelOptions o, string tasks)
    {
        return new EvalSuiteOptions
        {
            Tasks = tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            DataDir = parse.GetValue(o.Data)?.FullName,
            TaskFiles = EvalModelOptions.Pairs(parse.GetValue(o.TaskFile), "--task-file"),
            FewShotFiles = EvalModelOptions.Pairs(parse.GetValue(o.FewShotFile), "--fewshot-file"),
            Limit = parse.GetValue(o.Limit),
            NumFewShot = parse.GetValue(o.NumFewShot),
            BatchSize = parse.GetValue(o.BatchSize),
            Seed = parse.GetValue(o.Seed),
            MaxGenTokens = parse.GetValue(o.MaxGenTokens),
            ShareContext = !parse.GetValue(o.NoShareContext),
            HumanEvalSamples = parse.GetValue(o.N),
            HumanEvalTemperature = parse.GetValue(o.Temperature),
            HumanEvalTopP = parse.GetValue(o.TopP),
            HumanEvalGreedy = parse.GetValue(o.Greedy),
            HumanEvalMaxNewTokens = parse.GetValue(o.HumanEvalMaxNew),
            HumanEvalTimeoutSeconds = parse.GetValue(o.Timeout),
            HumanEvalWorkers = parse.GetValue(o.Workers),
            PerplexityStride = parse.GetValue(o.PplStride),
            PerplexitySeparator = parse.GetValue(o.PplSeparator)!,
        };
    }

    private static Command CreateHumanEval()
    {
        var samples = new Option<FileInfo>("--samples") { Description = "JSONL of {\"task_id\", \"completion\"} per line.", Required = true };
        var problems = new Option<FileInfo>("--problems") { Description = "HumanEval.jsonl or HumanEval.jsonl.gz.", Required = true };
        var ks = new Option<string>("--k") { Description = "Comma-separated k values for pass@k.", DefaultValueFactory = _ => "1,10,100" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds per sample.", DefaultValueFactory = _ => 3.0 };
        var workers = new Option<int>("--workers") { Description = "Samples run at once (0 = min(cores, 8)).", DefaultValueFactory = _ => 0 };
        var truncate = new Option<bool>("--truncate") { Description = "Cut completions at the HumanEval stop sequences (\\nclass, \\ndef, \\n#, \\nif, " +
            "\\nprint) first." };
        var output = new Option<FileInfo>("--out") { Description = "Results JSON; the per-sample log is written beside it (.samples.jsonl).", Required = true };
        var command = new Command("humaneval", "Run HumanEval completions in a sandbox and report pass@k.")
        {
            samples, problems, ks, timeout, workers, truncate, output,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var kValues = ParseKs(parse.GetValue(ks)!);
            var sandbox = new PythonSandbox(new SandboxOptions(TimeoutSeconds: parse.GetValue(timeout), Workers: parse.GetValue(workers)));
            foreach (var note in sandbox.Environment.Notes) Console.Error.WriteLine("note: " + note);
            var report = HumanEvalEvaluator.Evaluate(
                HumanEvalProblems.Read(parse.GetValue(problems)!.FullName),
                HumanEvalSamples.Read(parse.GetValue(samples)!.FullName),
                kValues, sandbox, parse.GetValue(truncate));
            string outPath = parse.GetValue(output)!.FullName;
            HumanEvalEvaluator.Write(report, outPath);
            foreach (var (k, v) in report.PassAtK) Console.WriteLine($"pass@{k}: {v.ToString("F4", CultureInfo.InvariantCulture)}");
            Console.WriteLine($"results: {outPath}; per-sample log: {HumanEvalEvaluator.SamplesLogPath(outPath)}");
            return 0;
        }));
        return command;
    }

    private static List<int> ParseKs(string text)
    {
        var result = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || k < 1)
                throw new LoraLabException($"--k: '{part}' is not a positive integer; use e.g. --k 1,10,100");
            result.Add(k);
        }
        return result;
    }
}
