namespace LoraLab.Training.Config;

/// <summary><c>optimizer.name</c>.</summary>
public enum OptimizerName
{
    /// <summary><c>decoupled_lionw</c>: <see cref="DecoupledLionW"/>.</summary>
    DecoupledLionw,

    /// <summary><c>adamw</c>: <see cref="AdamWOptimizer"/>.</summary>
    Adamw,
}
