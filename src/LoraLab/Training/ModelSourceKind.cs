namespace LoraLab.Training;

/// <summary>What a <c>--model</c> path named (see <see cref="ModelSource"/>).</summary>
public enum ModelSourceKind
{
    /// <summary>A Hugging Face model directory or llama2.c file (with an optional PEFT adapter given beside it).</summary>
    Model,

    /// <summary>A PEFT adapter directory whose base is found through its run or its adapter_config.json.</summary>
    Adapter,

    /// <summary>A training checkpoint <c>RUN/checkpoints/step-N</c>.</summary>
    TrainingCheckpoint,
}
