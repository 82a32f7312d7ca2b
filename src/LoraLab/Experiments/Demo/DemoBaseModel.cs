using LoraLab.Checkpoints;
using LoraLab.Experiments.Demo.Data;
using LoraLab.Models.Llama;
using LoraLab.Training;
using static TorchSharp.torch;

namespace LoraLab.Experiments.Demo;

/// <summary>The demo's base model: a user's model (--base), or a small Llama pretrained here on the generated stories.</summary>
public sealed class DemoBaseModel
{
    private readonly DemoOptions options;
    private readonly DemoPlan plan;
    private readonly DemoDataFiles files;
    private readonly TextWriter log;

    public DemoBaseModel(DemoOptions options, DemoPlan plan, DemoDataFiles files, TextWriter log)
    {
        this.options = options;
        this.plan = plan;
        this.files = files;
        this.log = log;
    }

    /// <summary>The architecture pretrained here: 4 layers, GQA (4 query heads, 2 KV heads), SwiGLU, tied embeddings.</summary>
    public static LlamaConfig Architecture(int vocabSize, int seqLen) => new()
    {
        HiddenSize = 128,
        IntermediateSize = 344,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 32,
        VocabSize = vocabSize,
        MaxPositionEmbeddings = seqLen,
        TieWordEmbeddings = true,
        RmsNormEps = 1e-5,
        BosTokenId = 1,
        EosTokenId = 2,
    };

    /// <summary>Returns the base model directory (Hugging Face layout, tokenizer included).</summary>
    public string Prepare(string workDir)
    {
        if (options.BaseDir is { } given)
        {
            if (!Directory.Exists(given)) throw new LoraLabException($"{given}: base model directory not found.");
            return Path.GetFullPath(given);
        }
        string init = Path.Combine(workDir, "init");
        var tokenizerFiles = Directory.GetFiles(files.TokenizerDirectory);
        int vocab = Tokenization.TokenizerLoader.LoadFromDirectory(files.TokenizerDirectory).VocabSize;
        manual_seed(options.Seed);
        using (var model = new LlamaForCausalLM(Architecture(vocab, Math.Max(plan.SeqLen, plan.FinetuneSeqLen))))
        {
            LlamaInit.Apply(model);
            LlamaCheckpoint.Save(model, init);
        }
        foreach (var f in tokenizerFiles) AtomicFile.Copy(f, Path.Combine(init, Path.GetFileName(f)));
        var texts = plan.Data.PretrainProblems > 0 ? new[] { files.SourceTrain, files.PretrainProblems } : new[] { files.SourceTrain };
        log.WriteLine($"pretraining the base model ({plan.PretrainSteps} steps of {plan.BatchSize}×{plan.SeqLen} tokens) on the generated stories" +
            (plan.Data.PretrainProblems > 0 ? $" and {plan.Data.PretrainProblems} word problems …" : " …"));
        var config = DemoConfigs.Pretrain(init, texts, Path.Combine(workDir, "pretrain"), plan, options.Seed);
        using var trainer = new Trainer(config, new TrainerOptions { Console = log });
        trainer.Setup();
        trainer.Train();
        return trainer.SaveFinal();
    }
}
