using System.CommandLine;
using LoraLab.Cli.Commands;

namespace LoraLab.Cli;

/// <summary>The thin CLI: parse → call the library → print. Each command lives in Commands/.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Kernels.MklCpuDispatch.Apply(); // before any libtorch math: MKL fixes its kernel choice at its first call
        // `sweep run` trains and evaluates each grid point (tests may have registered a fake runner first).
        Experiments.SweepRunners.Default ??= _ => new Experiments.TrainEvalPointRunner();
        return BuildRoot().Parse(args).Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("LoraLab: finetune Llama-family models with LoRA or full finetuning, and measure what they learn and forget.");
        foreach (var command in new[]
        {
            ConvertCommand.Create(),
            GenerateCommand.Create(),
            AnalyzeCommand.Create(),
            EvalCommand.Create(),
            ReportCommand.Create(),
            SweepCommand.Create(),
            TrainCommand.Create(),
            PlanCommand.Create(),
            MergeCommand.Create(),
            DemoCommand.Create(),
            TokenizeCommand.Create(),
        })
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
