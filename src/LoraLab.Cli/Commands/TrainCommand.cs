using System.CommandLine;
using System.Globalization;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab train --config run.yaml [key=value …] [--resume] [--from-checkpoint DIR]</c>: one LoRA or full finetuning run.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "run config (YAML; see configs/)", Required = true };
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "config overrides key.sub=value, e.g. max_duration=20ba lora.r=64 run_dir=/tmp/run",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var resume = new Option<bool>("--resume") { Description = "continue from the latest checkpoint in the run directory (same as resume=true)" };
        var device = DeviceOption.Create();
        var from = new Option<DirectoryInfo>("--from-checkpoint")
        {
            Description = "start from another run's checkpoints/step-N (weights, optimizer, step, tokens, data position) into a new run_dir, " +
                "e.g. a cooldown: --config RUN/run_config.yaml --from-checkpoint RUN/checkpoints/step-N max_duration=… run_dir=… (same as load_path=…)",
        };
        var command = new Command("train", "Finetune a model (LoRA or full) as a run config says; writes metrics, checkpoints and final/ into the " +
            "run directory.")
        {
            config, overrides, resume, from, device,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var list = (parse.GetValue(overrides) ?? []).ToList();
            if (parse.GetValue(resume)) list.Add("resume=true");
            if (parse.GetValue(from) is { } checkpoint) list.Add($"load_path={checkpoint.FullName}");
            if (parse.GetValue(device) is string d) list.Add($"device={d}"); // same as the config's device:
            var run = RunConfigLoader.Load(parse.GetValue(config)!.FullName, list);
            using var trainer = new Trainer(run);
            var result = trainer.Run();
            string loss = result.LastLoss is double l ? l.ToString("F4", CultureInfo.InvariantCulture) : "n/a";
            string eval = result.LastEvalLoss is double e ? $", eval loss {e.ToString("F4", CultureInfo.InvariantCulture)}" : "";
            Console.WriteLine($"trained {result.Steps}/{result.TotalSteps} steps, {result.TokensSeen} tokens, last loss {loss}{eval}");
            Console.WriteLine($"run directory: {result.RunDirectory}");
            if (result.FinalDirectory != null) Console.WriteLine($"final: {result.FinalDirectory}");
            return 0;
        }));
        return command;
    }
}
