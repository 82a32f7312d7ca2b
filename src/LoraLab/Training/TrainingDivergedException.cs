namespace LoraLab.Training;

/// <summary>
/// The loss or the gradient norm became NaN or infinite: training stops before the update, so the model and the last
/// checkpoint are the last good state.
/// </summary>
public sealed class TrainingDivergedException : LoraLabException
{
    public TrainingDivergedException(long step, string message) : base(message)
    {
        Step = step;
    }

    /// <summary>The (1-based) step whose loss or gradient was not finite.</summary>
    public long Step { get; }
}
