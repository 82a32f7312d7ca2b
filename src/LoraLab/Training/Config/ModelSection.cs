namespace LoraLab.Training.Config;

/// <summary><c>model:</c> the base model.</summary>
public sealed class ModelSection
{
    /// <summary><c>path</c> (required): the model directory or file.</summary>
    public string? Path { get; set; }

    /// <summary><c>tokenizer</c>: a tokenizer file, if not found beside the model.</summary>
    public string? Tokenizer { get; set; }
}
