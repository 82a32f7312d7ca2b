namespace LoraLab.Generation;

/// <summary>Why generation ended for one prompt.</summary>
public enum FinishReason
{
    Length,
    Eos,
    StopSequence,
}

/// <summary>One prompt's continuation: the new token ids (EOS excluded) and, when a tokenizer is given, the text.</summary>
public sealed record GenerationResult(int[] PromptIds, int[] NewIds, FinishReason FinishReason)
{
    /// <summary>The decoded continuation (without the prompt), cut before any stop sequence; null without a tokenizer.</summary>
    public string? Completion { get; init; }

    /// <summary>The decoded prompt followed by the completion; null without a tokenizer.</summary>
    public string? FullText { get; init; }
}
