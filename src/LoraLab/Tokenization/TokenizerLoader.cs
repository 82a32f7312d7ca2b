namespace LoraLab.Tokenization;

/// <summary>Finds, loads and converts tokenizers: tokenizer.json (Hugging Face), tokenizer.model (SentencePiece), tok*.bin (llama2.c).</summary>
public static class TokenizerLoader
{
    private static readonly string[] DirectoryFiles = ["tokenizer.json", "tokenizer.model"];

    /// <summary>
    /// Loads a model directory's tokenizer: tokenizer.json if present, else tokenizer.model. With
    /// <paramref name="expectedVocabSize"/> (the model's vocab_size), a tokenizer with more ids is an error.
    /// </summary>
    public static ITokenizer LoadFromDirectory(string modelDir, int? expectedVocabSize = null)
    {
        if (!Directory.Exists(modelDir)) throw new LoraLabException($"model directory {modelDir} does not exist");
        foreach (string name in DirectoryFiles)
        {
            string path = Path.Combine(modelDir, name);
            if (File.Exists(path)) return LoadFile(path, expectedVocabSize);
        }
        throw new LoraLabException($"no tokenizer in {modelDir}: looked for {string.Join(" and ", DirectoryFiles)}; copy the model's tokenizer there " +
            "(or convert one with `loralab convert`)");
    }

    /// <summary>
    /// Loads a tokenizer file by its extension: .json (Hugging Face), .model (SentencePiece), .bin (llama2.c; reads
    /// <paramref name="vocabSize"/> tokens, or to the end of the file when null). A tokenizer with more ids than
    /// <paramref name="vocabSize"/> is an error.
    /// </summary>
    public static ITokenizer LoadFile(string path, int? vocabSize = null)
    {
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        ITokenizer tokenizer = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => HfTokenizerJson.Load(path),
            ".model" => SentencePieceTokenizer.Load(path),
            ".bin" => vocabSize is int v ? Llama2cTokenizer.Load(path, v) : Llama2cTokenizer.Load(path),
            string ext => throw new LoraLabException($"tokenizer file {path} has extension \"{ext}\"; expected .json (Hugging Face tokenizer.json), " +
                ".model (SentencePiece) or .bin (llama2.c)"),
        };
        CheckVocabSize(tokenizer, path, vocabSize);
        return tokenizer;
    }

    /// <summary>
    /// Writes Hugging Face tokenizer files into a model directory from <paramref name="sourceTokenizerPath"/>:
    /// a .model is copied as tokenizer.model and converted to tokenizer.json; a .bin is converted to tokenizer.json;
    /// a .json is copied (with its tokenizer_config.json / special_tokens_map.json when present). tokenizer_config.json
    /// and special_tokens_map.json are generated for .model and .bin. Every file is written to a temporary name and renamed.
    /// </summary>
    public static void WriteHfFiles(string sourceTokenizerPath, string outDir, int vocabSize)
    {
        string path = sourceTokenizerPath;
        if (!File.Exists(path)) throw new LoraLabException($"tokenizer file {path} does not exist");
        Directory.CreateDirectory(outDir);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".model":
            {
                var model = SentencePieceModelFile.Read(path);
                if (model.Pieces.Count > vocabSize) throw VocabTooLarge(path, model.Pieces.Count, vocabSize);
                _ = new SentencePieceTokenizer(path, model); // refuses settings LoraLab does not implement
                TokenizerJsonWriter.Write(model, path, outDir);
                AtomicFile.Copy(path, Path.Combine(outDir, "tokenizer.model"));
                break;
            }
            case ".bin":
                TokenizerJsonWriter.Write(Llama2cTokenizer.Load(path, vocabSize), outDir);
                break;
            case ".json":
            {
                CheckVocabSize(HfTokenizerJson.Load(path), path, vocabSize);
                string srcDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
                foreach (string side in new[] { "tokenizer_config.json", "special_tokens_map.json" })
                {
                    string s = Path.Combine(srcDir, side);
                    if (File.Exists(s)) AtomicFile.Copy(s, Path.Combine(outDir, side));
                }
                AtomicFile.Copy(path, Path.Combine(outDir, "tokenizer.json"));
                break;
            }
            default:
                throw new LoraLabException($"tokenizer file {path} has extension \"{Path.GetExtension(path)}\"; expected .model (SentencePiece), .bin " +
                    "(llama2.c) or .json (Hugging Face)");
        }
    }

    private static void CheckVocabSize(ITokenizer tokenizer, string path, int? vocabSize)
    {
        if (vocabSize is int v && tokenizer.VocabSize > v) throw VocabTooLarge(path, tokenizer.VocabSize, v);
    }

    private static LoraLabException VocabTooLarge(string path, int ids, int vocabSize) =>
        new($"tokenizer {path} has {ids} ids but the model's vocab_size is {vocabSize}; use the tokenizer the model was trained with");
}
