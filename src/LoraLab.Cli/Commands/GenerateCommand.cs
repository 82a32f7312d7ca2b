using System.CommandLine;
using LoraLab.Checkpoints;
using LoraLab.Generation;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tokenization;
using LoraLab.Training;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab generate --model DIR --prompt TEXT</c>: prints prompt + completion to stdout, diagnostics to stderr.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Hugging Face model directory, a run's checkpoints/step-N, or a LoRA " +
            "run's final/", Required = true };
        var adapter = new Option<DirectoryInfo>("--adapter") { Description = "PEFT LoRA adapter directory applied to --model" };
        var prompt = new Option<string>("--prompt") { Description = "prompt text (BOS is prepended); empty = start from BOS alone",
            DefaultValueFactory = _ => "" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "maximum number of tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<double>("--temperature") { Description = "sampling temperature; 0 = greedy", DefaultValueFactory = _ => 0.0 };
        var topP = new Option<double>("--top-p") { Description = "nucleus sampling threshold (1 = off)", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "keep only the k most likely tokens (0 = off)", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "random seed for sampling", DefaultValueFactory = _ => 0L };
        var stop = new Option<string[]>("--stop") { Description = "stop sequence (repeatable)", AllowMultipleArgumentsPerToken = false };
        var dtype = new Option<string>("--dtype") { Description = "compute dtype: fp32 (default) or bf16", DefaultValueFactory = _ => "fp32" };
        var device = DeviceOption.Create();
        var command = new Command("generate", "Generate text from a prompt.") { model, adapter, prompt, maxNew, temperature, topP, topK, seed, stop,
            dtype, device };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string dir = parse.GetValue(model)!.FullName;
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNew),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
                StopSequences = parse.GetValue(stop) ?? Array.Empty<string>(),
            };
            options.Validate();
            var computeDtype = LlamaCheckpoint.ParseDtype(parse.GetValue(dtype)!);
            var on = DeviceOption.Resolve(parse, device);
            string? adapterDir = parse.GetValue(adapter)?.FullName;
            var source = ModelSource.Resolve(dir, adapterDir);
            using LlamaForCausalLM llama = DeviceOption.MoveTo(source.Load(computeDtype), on);
            var tokenizer = source.LoadTokenizer(llama.Config.VocabSize);
            var started = DateTime.UtcNow;
            var result = new LlamaGenerator(llama, tokenizer).Generate(new[] { parse.GetValue(prompt)! }, options)[0];
            Console.Out.Write(result.FullText);
            Console.Out.WriteLine();
            double seconds = (DateTime.UtcNow - started).TotalSeconds;
            Console.Error.WriteLine($"{result.NewIds.Length} tokens in {seconds:F2} s ({result.NewIds.Length / Math.Max(seconds, 1e-9):F1} tokens/s), " +
                $"finished by {result.FinishReason}");
            return 0;
        }));
        return command;
    }
}
