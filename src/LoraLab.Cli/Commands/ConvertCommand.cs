using System.CommandLine;
using LoraLab.Checkpoints;

namespace LoraLab.Cli.Commands;

/// <summary><c>loralab convert --llama2c MODEL.bin --tokenizer TOK --out DIR</c>: llama2.c → Hugging Face directory.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var bin = new Option<FileInfo>("--llama2c") { Description = "llama2.c checkpoint (.bin, legacy version-0 export)", Required = true };
        var tok = new Option<FileInfo?>("--tokenizer") { Description = "tokenizer: llama2.c tok*.bin or SentencePiece tokenizer.model (written as " +
            "Hugging Face tokenizer files)" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "output directory (config.json, model.safetensors, tokenizer files)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "weight dtype to write: fp32, bf16 or fp16", DefaultValueFactory = _ => "fp32" };
        var command = new Command("convert", "Convert a llama2.c checkpoint (and tokenizer) into a Hugging Face model directory.") { bin, tok, outDir, dtype };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var result = Llama2cConverter.Convert(parse.GetValue(bin)!.FullName, parse.GetValue(tok)?.FullName,
                parse.GetValue(outDir)!.FullName, LlamaCheckpoint.ParseDtype(parse.GetValue(dtype)!));
            Console.Error.WriteLine($"wrote {result.OutDir}: {result.Parameters:N0} parameters, vocab {result.Config.VocabSize}, " +
                $"{result.Config.NumHiddenLayers} layers");
            return 0;
        }));
        return command;
    }
}
