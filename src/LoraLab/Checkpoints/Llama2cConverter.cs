using LoraLab.Models.Llama;
using LoraLab.Tokenization;

namespace LoraLab.Checkpoints;

/// <summary>Turns a llama2.c checkpoint (+ tokenizer) into a Hugging Face model directory.</summary>
public static class Llama2cConverter
{
    public sealed record Result(string OutDir, LlamaConfig Config, long Parameters);

    public static Result Convert(string binPath, string? tokenizerPath, string outDir, TorchSharp.torch.ScalarType dtype)
    {
        var config = Llama2cCheckpoint.ReadConfig(binPath);
        if (tokenizerPath != null)
        {
            // Check the tokenizer before writing anything.
            var tokenizer = TokenizerLoader.LoadFile(tokenizerPath, config.VocabSize);
            if (tokenizer.VocabSize != config.VocabSize)
                throw new LoraLabException($"{tokenizerPath}: the tokenizer has {tokenizer.VocabSize} ids but {binPath} has vocab_size " +
                    $"{config.VocabSize}; pass the tokenizer this model was trained with.");
        }
        using var model = Llama2cCheckpoint.LoadModel(binPath);
        LlamaCheckpoint.Save(model, outDir, dtype);
        if (tokenizerPath != null) TokenizerLoader.WriteHfFiles(tokenizerPath, outDir, config.VocabSize);
        return new Result(outDir, config, model.parameters().Sum(p => p.numel()));
    }
}
