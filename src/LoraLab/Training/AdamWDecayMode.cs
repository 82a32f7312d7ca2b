namespace LoraLab.Training;

/// <summary>How <see cref="AdamWOptimizer"/> applies weight decay.</summary>
public enum AdamWDecayMode
{
    /// <summary>PyTorch <c>torch.optim.AdamW</c>: <c>p ← p · (1 − lr · wd)</c> (decay follows the scheduled lr).</summary>
    PyTorch,

    /// <summary>
    /// Composer <c>DecoupledAdamW</c>: <c>p ← p · (1 − (lr / initial_lr) · wd)</c>; wd is an absolute per-step decay
    /// that only follows the schedule's shape (so wd=1e-5 there ≈ wd=1e-5/lr in PyTorch).
    /// </summary>
    Decoupled,
}
