namespace LoraLab.Training;

/// <summary>The unit of a <see cref="Duration"/>, as Composer's <c>TimeUnit</c> (suffixes <c>ba</c>, <c>tok</c>, <c>ep</c>, <c>dur</c>).</summary>
public enum DurationUnit
{
    /// <summary><c>ba</c>: optimizer steps (one global batch each).</summary>
    Batch,

    /// <summary><c>tok</c>: training tokens (input positions of the global batches seen).</summary>
    Token,

    /// <summary><c>ep</c>: passes over the training data.</summary>
    Epoch,

    /// <summary><c>dur</c>: a fraction of the run's <c>max_duration</c>.</summary>
    Duration,
}
