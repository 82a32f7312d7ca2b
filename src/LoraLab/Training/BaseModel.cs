using LoraLab.Checkpoints;
using LoraLab.Models.Llama;
using LoraLab.Peft;
using LoraLab.Tokenization;
using LoraLab.Training.Config;
using static TorchSharp.torch;

namespace LoraLab.Training;

/// <summary>
/// Loads the base model and tokenizer a run starts from. <c>model.path</c> is a Hugging Face model directory
/// (config.json + safetensors) or a llama2.c checkpoint file (<c>*.bin</c>, which needs <c>model.tokenizer</c>);
/// <c>model.tokenizer</c> (a tokenizer.json / tokenizer.model / tok*.bin file) overrides the directory's tokenizer.
/// </summary>
public static class BaseModel
{
    /// <summary>Tokenizer files a Hugging Face model directory may hold; copied into saved models.</summary>
    public static readonly string[] TokenizerFileNames = ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];

    public static bool IsLlama2cFile(string path) => File.Exists(path) && path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Loads the model with fresh LoRA adapters when <paramref name="lora"/> is given; <paramref name="residualDropout"/>
    /// (full finetuning's dropout on attention and MLP outputs) is set in the model's config.
    /// </summary>
    public static LlamaForCausalLM Load(ModelSection section, ScalarType dtype, LoraConfig? lora, double residualDropout)
    {
        string path = section.Path ?? throw new LoraLabException("model.path is required");
        if (IsLlama2cFile(path))
        {
            return LoraModel.LoadLlama2c(path, dtype, lora, residualDropout);
        }
        if (!Directory.Exists(path)) throw new LoraLabException($"model.path {path}: not found; give a Hugging Face model directory or a llama2.c .bin file");
        return LoraModel.Load(path, dtype, lora, residualDropout);
    }


    /// <summary>The tokenizer: <c>model.tokenizer</c> if given, else the one in the model directory.</summary>
    public static ITokenizer LoadTokenizer(ModelSection section, int vocabSize)
    {
        if (section.Tokenizer is string tok) return TokenizerLoader.LoadFile(tok, vocabSize);
        string path = section.Path!;
        if (IsLlama2cFile(path))
            throw new LoraLabException($"model.path {path} is a llama2.c checkpoint, which holds no tokenizer; set model.tokenizer (e.g. tok512.model " +
                "or tok512.bin)");
        return TokenizerLoader.LoadFromDirectory(path, vocabSize);
    }

    /// <summary>Writes the run's tokenizer as Hugging Face files into a saved model; false when there is none to write.</summary>
    public static bool WriteTokenizerFiles(ModelSection section, string outDir, int vocabSize)
    {
        if (section.Tokenizer is string tok)
        {
            TokenizerLoader.WriteHfFiles(tok, outDir, vocabSize);
            return true;
        }
        return section.Path is string p && Directory.Exists(p) && CopyTokenizerFiles(p, outDir) > 0;
    }

    /// <summary>Copies the tokenizer files present in <paramref name="modelDir"/>; returns how many.</summary>
    public static int CopyTokenizerFiles(string modelDir, string outDir)
    {
        int n = 0;
        foreach (string name in TokenizerFileNames)
        {
            string src = System.IO.Path.Combine(modelDir, name);
            if (!File.Exists(src)) continue;
            AtomicFile.Copy(src, System.IO.Path.Combine(outDir, name));
            n++;
        }
        return n;
    }
}
