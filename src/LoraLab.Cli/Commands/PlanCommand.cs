using System.CommandLine;
using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Planning;
using LoraLab.Training;
using LoraLab.Training.Config;

namespace LoraLab.Cli.Commands;

/// <summary>
/// <c>loralab plan --config run.yaml [key=value …] [--model-config config.json] [--json]</c>: the run's predicted peak
/// memory by component, LoRA beside full finetuning, without loading any weights.
/// </summary>
public static class PlanCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "run config (YAML; see configs/)", Required = true };
        var overrides = new Argument<string[]>("overrides")
        {
            Description = "config overrides key.sub=value, e.g. precision=amp_bf16 activation_checkpointing=true",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var modelConfig = new Option<FileInfo>("--model-config")
        {
            Description = "the model's Hugging Face config.json when model.path is not on this machine (e.g. configs/models/llama-2-7b-config.json)",
        };
        var json = new Option<bool>("--json") { Description = "print JSON (total_bytes: this run's predicted peak)" };
        var target = new Option<string>("--target")
        {
            Description = "cpu (default) or gpu: a GPU plan assumes flash attention (no score matrices kept) and no CPU runtime allowance",
            DefaultValueFactory = _ => "cpu",
        };
        var command = new Command("plan", "Predict a training run's peak memory (weights, gradients, optimizer state, activations), LoRA vs full finetuning.")
        {
            config, overrides, modelConfig, json, target,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            bool gpu = parse.GetValue(target) switch
            {
                "cpu" => false,
                "gpu" => true,
                var t => throw new LoraLabException($"--target {t}: use cpu or gpu"),
            };
            var run = RunConfigLoader.Load(parse.GetValue(config)!.FullName, parse.GetValue(overrides) ?? []);
            var model = ModelConfig(run, parse.GetValue(modelConfig)?.FullName);
            var chosen = MemoryPlanner.Plan(run, model, gpu);
            var flipped = RunConfigLoader.Load(parse.GetValue(config)!.FullName,
                [.. parse.GetValue(overrides) ?? [], $"method={(run.Method == FinetuneMethod.Lora ? "full" : "lora")}"]);
            var other = MemoryPlanner.Plan(flipped, model, gpu);
            Console.WriteLine(parse.GetValue(json) ? PlanReport.Json(chosen, other) : PlanReport.Text(chosen, other));
            return 0;
        }));
        return command;
    }

    private static LlamaConfig ModelConfig(RunConfig run, string? modelConfig)
    {
        if (modelConfig is not null) return LlamaConfig.Load(modelConfig);
        string path = run.Model.Path!;
        if (BaseModel.IsLlama2cFile(path)) return Llama2cCheckpoint.ReadConfig(path);
        string file = Path.Combine(path, "config.json");
        if (!File.Exists(file))
            throw new LoraLabException($"{run.SourceFile}: model.path {path} has no config.json on this machine; " +
                "pass --model-config with the model's config.json (e.g. configs/models/llama-2-7b-config.json)");
        return LlamaConfig.Load(file);
    }
}
