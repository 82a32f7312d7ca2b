using System.Globalization;

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

    /// <summary>The exception for step <paramref name="step"/>, naming what diverged and the last good checkpoint (or none).</summary>
    public static TrainingDivergedException At(long step, double loss, double gradNorm, string? lastCheckpoint)
    {
        string what = !double.IsFinite(loss) ? $"loss is {Show(loss)}" : $"gradient norm is {Show(gradNorm)} (loss {Show(loss)})";
        string keep = lastCheckpoint != null ? $"the last good checkpoint is {lastCheckpoint}" : "no checkpoint was written yet";
        return new TrainingDivergedException(step,
            $"training diverged at step {step}: {what}; stopped before the update, {keep}. Lower optimizer.lr, add gradient_clipping, or use fp32");
    }

    private static string Show(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
