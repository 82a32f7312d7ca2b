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
        var model = new Option<DirectoryInfo>("--model") { Description = "base Hugging Face model directory", Required = true };
        var adapter = new Option<DirectoryInfo>("--adapter") { Description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors), e.g. a run's final/", Required = true };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output model directory (replaced atomically if it exists)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "dtype to merge and save in: fp32 (default), bf16 or fp16", DefaultValueFactory = _ => "fp32" };
        var command = new Command("merge", "Merge a LoRA adapter into its base model (W + s·B·A) and write a Hugging Face model directory with the tokenizer files.")
        {
            model, adapter, outDir, dtype,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            string baseDir = parse.GetValue(model)!.FullName;
            string output = parse.GetValue(outDir)!.FullName;
            using var merged = PeftAdapter.LoadWithBase(baseDir, parse.GetValue(adapter)!.FullName, LlamaCheckpoint.ParseDtype(parse.GetValue(dtype)!));
            int copied = 0;
            AtomicDirectory.Write(output, tmp =>
            {
                LoraModel.SaveMerged(merged, tmp);
                copied = BaseModel.CopyTokenizerFiles(baseDir, tmp);
            });
            Console.Error.WriteLine($"wrote {output}: merged {LoraModules.Find(merged).Count} adapted layers; {copied} tokenizer file(s) copied");
            return 0;
        }));
        return command;
    }
}
