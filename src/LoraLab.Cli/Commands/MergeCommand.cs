using System.CommandLine;
using LoraLab.Checkpoints;
using LoraLab.Peft;
using LoraLab.Training;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab merge --model DIR --adapter DIR --out DIR</c>: base + PEFT adapter → merged Hugging Face model.</summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "base Hugging Face model directory, or a run's checkpoints/step-N or LoRA " +
            "final/ (then no --adapter)", Required = true };
        var adapter = new Option<DirectoryInfo>("--adapter") { Description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors) " +
            "applied to a base --model" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output model directory (replaced atomically if it exists)", Required = true };
        var device = DeviceOption.Create();
        var dtype = new Option<string>("--dtype") { Description = "dtype to merge and save in: fp32 (default), bf16 or fp16",
            DefaultValueFactory = _ => "fp32" };
        var command = new Command("merge", "Merge a LoRA adapter into its base model (W + s·B·A) and write a Hugging Face model directory with the " +
            "tokenizer files.")
        {
            model, adapter, outDir, dtype, device,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string output = parse.GetValue(outDir)!.FullName;
            var on = DeviceOption.Resolve(parse, device);
            var source = ModelSource.Resolve(parse.GetValue(model)!.FullName, parse.GetValue(adapter)?.FullName);
            if (source.Method == "base")
                throw new LoraLabException($"{source.Path}: nothing to merge; give --adapter DIR, or a run's checkpoints/step-N or final/ as --model.");
            using var merged = DeviceOption.MoveTo(source.Load(LlamaCheckpoint.ParseDtype(parse.GetValue(dtype)!)), on);
            bool tokenizer = false;
            AtomicDirectory.Write(output, tmp =>
            {
                LoraModel.SaveMerged(merged, tmp);
                tokenizer = source.WriteTokenizerFiles(tmp, merged.Config.VocabSize);
            });
            Console.Error.WriteLine($"wrote {output}: {source.Method}, {LoraModules.Find(merged).Count} adapted layers merged; " +
                (tokenizer ? "tokenizer files written" : "no tokenizer files to copy"));
            return 0;
        }));
        return command;
    }
}
