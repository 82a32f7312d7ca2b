namespace LoraLab.Experiments.Demo.Data;

/// <summary>Sizes and seed of the demo data; the defaults suit a ~10-minute CPU demo.</summary>
public sealed record DemoDataOptions
{
    public int Seed { get; init; } = 1234;

    /// <summary>Stories for pretraining (source domain).</summary>
    public int SourceTrainStories { get; init; } = 3000;

    /// <summary>Held-out stories for measuring forgetting as source loss.</summary>
    public int SourceHeldOutStories { get; init; } = 300;

    /// <summary>Cloze items (source-domain knowledge).</summary>
    public int ClozeItems { get; init; } = 200;

    /// <summary>Word problems for finetuning (target domain).</summary>
    public int TargetTrainProblems { get; init; } = 2000;

    /// <summary>Word problems for measuring learning.</summary>
    public int TargetTestProblems { get; init; } = 200;

    /// <summary>
    /// Word problems with their solutions mixed into pretraining as documents (a small share of the base's text, as a
    /// web-trained base has seen some math before its math finetune); from the training split, never a test combination.
    /// </summary>
    public int PretrainProblems { get; init; }

    /// <summary>Whether the tokenizer gets the 256 byte pieces (355 ids instead of 99).</summary>
    public bool ByteFallback { get; init; }

    /// <summary>Throws <see cref="LoraLabException"/> when a size is negative.</summary>
    public void Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     ("source_train_stories", SourceTrainStories), ("source_heldout_stories", SourceHeldOutStories),
                     ("cloze_items", ClozeItems), ("target_train_problems", TargetTrainProblems), ("target_test_problems", TargetTestProblems),
                     ("pretrain_problems", PretrainProblems),
                 })
        {
            if (value < 0) throw new LoraLabException($"demo data: {name} must be at least 0, got {value}");
        }
    }
}
