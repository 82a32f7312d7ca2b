using LoraLab.Checkpoints;
using LoraLab.Peft;
using LoraLab.Training.Checkpointing;
using LoraLab.Training.Config;
using static TorchSharp.torch;

namespace LoraLab.Training;

public sealed partial class Trainer
{
    /// <summary>Writes checkpoints/step-NNNNNN/ now and prunes old ones (save_num_checkpoints_to_keep).</summary>
    public string SaveCheckpoint()
    {
        using var scope = NewDisposeScope();
        var tensors = Config.Method == FinetuneMethod.Lora
            ? _trainableNames.Zip(_trainable, (n, p) => new KeyValuePair<string, Tensor>(n, p.detach().contiguous())).ToList()
            : Model.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.detach().contiguous())).ToList();
        using var optimizer = Optimizer.SaveState();
        var position = _loader!.Position;
        var manifest = new CheckpointManifest
        {
            Method = Config.Method.ToString().ToLowerInvariant(),
            Step = Step,
            TokensSeen = TokensSeen,
            DataEpoch = position.Epoch,
            DataIndex = position.Index,
            Seed = Config.Seed,
            OptimizerName = optimizer.OptimizerName,
            OptimizerStep = optimizer.Step,
            Lr = optimizer.Lr,
            InitialLr = optimizer.InitialLr,
            TrainableParameters = _trainableNames,
            Dtype = LlamaCheckpoint.DtypeName(Model.DType),
            MaxDuration = Config.MaxDuration?.ToString() ?? "",
            Loss = LastLoss,
            CreatedUtc = DateTime.UtcNow.ToString("o"),
        };
        string dir = TrainingCheckpoint.Save(CheckpointsDirectory, manifest, tensors, optimizer);
        TrainingCheckpoint.Prune(CheckpointsDirectory, Config.SaveNumCheckpointsToKeep);
        _metrics?.Info($"step {Step}: checkpoint {dir}");
        return dir;
    }

    /// <summary>
    /// Writes final/: for LoRA a PEFT adapter (and, with save_merged_model, the merged model in final-merged/); for full
    /// finetuning a Hugging Face model directory with the tokenizer files. Each directory is written atomically.
    /// </summary>
    public string SaveFinal()
    {
        string final = Path.Combine(RunDirectory, FinalDirName);
        string baseName = Config.Model.Path ?? "";
        if (Config.Method == FinetuneMethod.Lora)
        {
            AtomicDirectory.Write(final, tmp => PeftAdapter.Save(Model, tmp, baseName));
            if (Config.SaveMergedModel) AtomicDirectory.Write(Path.Combine(RunDirectory, MergedDirName), SaveModelDirectory);
        }
        else
        {
            AtomicDirectory.Write(final, SaveModelDirectory);
        }
        _metrics?.Info($"final {(Config.Method == FinetuneMethod.Lora ? "adapter" : "model")}: {final}");
        return final;
    }

    private void SaveModelDirectory(string dir)
    {
        if (Config.Method == FinetuneMethod.Lora) LoraModel.SaveMerged(Model, dir);
        else LlamaCheckpoint.Save(Model, dir);
        if (!BaseModel.WriteTokenizerFiles(Config.Model, dir, Model.Config.VocabSize))
            _metrics?.Info($"note: no tokenizer files to copy into {dir}");
    }
}
