namespace LoraLab.Training;

/// <summary>
/// What is needed to turn a <see cref="Duration"/> into batches: tokens per global batch (fixed for packed data;
/// for padded data pass the nominal <c>global_batch × seq_len</c>), batches per epoch and the run's max duration.
/// </summary>
/// <param name="TokensPerBatch">Tokens in one global batch (&gt; 0).</param>
/// <param name="BatchesPerEpoch">Global batches in one epoch (&gt; 0), or null when unknown.</param>
/// <param name="MaxDuration">The run's max_duration (not in <c>dur</c>), or null while converting max_duration itself.</param>
public sealed record DurationContext(long TokensPerBatch, long? BatchesPerEpoch, Duration? MaxDuration);
