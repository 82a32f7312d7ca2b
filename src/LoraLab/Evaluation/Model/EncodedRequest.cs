namespace LoraLab.Evaluation.Model;

/// <summary>A log-likelihood request as token ids: the context (with BOS) and the continuation tokens to score.</summary>
public sealed record EncodedRequest(int[] Context, int[] Continuation)
{
    /// <summary>Tokens the model reads: context + continuation minus the last token (which is only predicted).</summary>
    public int InputLength => Context.Length + Continuation.Length - 1;
}
