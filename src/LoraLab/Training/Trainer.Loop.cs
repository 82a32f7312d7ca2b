using System.Diagnostics;
using System.Globalization;
using LoraLab.Data;
using LoraLab.Training.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraLab.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// Runs steps until max_duration (true) or until <see cref="TrainerOptions.StopAfterStep"/> (false). Evaluates every
    /// eval_interval and at the end; checkpoints every save_interval and at the end.
    /// </summary>
    public bool Train()
    {
        _ = Model;
        while (Step < TotalSteps)
        {
            TrainStep();
            bool last = Step == TotalSteps;
            if (_eval != null && (Step % _evalEvery == 0 || last)) Evaluate();
            if (Step % _saveEvery == 0 || last) SaveCheckpoint();
            _options.AfterStep?.Invoke(this, Step);
            if (!last && _options.StopAfterStep is long stop && Step >= stop) return false;
        }
        return true;
    }

    /// <summary>The eval loss (mean over the eval set's loss tokens), logged at the current step.</summary>
    public double Evaluate()
    {
        var eval = _eval ?? throw new LoraLabException("no eval_data section in the config");
        var (loss, tokens) = TokenLoss.Evaluate(Model, eval.Source, Config.MicrobatchSize, _padId);
        LastEvalLoss = loss;
        _metrics!.LogEval(Step, loss, tokens);
        return loss;
    }

    private void TrainStep()
    {
        var clock = Stopwatch.StartNew();
        long number = Step + 1;
        double lr = Config.Optimizer.Lr * Schedule.Alpha(Step);
        Optimizer.Lr = lr;
        var batches = new Batch[_accumulation];
        for (int k = 0; k < batches.Length; k++) batches[k] = _loader!.Next();
        try
        {
            long lossTokens = batches.Sum(b => b.LossTokens);
            long realTokens = batches.Sum(b => b.RealTokens);
            double lossSum = 0;
            for (int k = 0; k < batches.Length; k++)
            {
                using var scope = NewDisposeScope();
                torch.random.manual_seed(MicroBatchSeed(Config.Seed, Step, k)); // dropout masks depend only on (seed, step, k)
                var sum = TokenLoss.Sum(Model, batches[k]);
                lossSum += sum.item<float>();
                if (lossTokens > 0) (sum / lossTokens).backward(); // Σ token losses / loss tokens of the GLOBAL batch
            }
            double loss = lossTokens > 0 ? lossSum / lossTokens : 0.0;
            double gradNorm = ClipGradients();
            if (!double.IsFinite(loss) || !double.IsFinite(gradNorm))
            {
                Optimizer.ZeroGrad();
                throw Diverged(number, loss, gradNorm);
            }
            Optimizer.Step();
            Optimizer.ZeroGrad();
            Kernels.StepMemory.ReleaseAfterStep();
            Step = number;
            TokensSeen += realTokens;
            LastLoss = loss;
            double seconds = clock.Elapsed.TotalSeconds;
            double memoryMb = Environment.WorkingSet / (1024.0 * 1024.0);
            _metrics!.LogTrain(new StepMetrics(Step, loss, lr, gradNorm, realTokens / Math.Max(seconds, 1e-9), TokensSeen, lossTokens, memoryMb, seconds));
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    /// <summary>
    /// The global L2 norm of the gradients (the norm of the per-parameter norms, as torch.nn.utils.clip_grad_norm_);
    /// when gradient_clipping is set, every gradient is scaled by min(1, max_norm / (norm + 1e-6)).
    /// </summary>
    private double ClipGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = _trainable.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0.0;
        var norms = stack(grads.Select(g => linalg.vector_norm(g.to_type(ScalarType.Float32), 2)).ToArray()); // (P)
        var total = linalg.vector_norm(norms, 2); // ()
        double norm = total.item<float>();
        if (Config.GradientClipping is { } clip && double.IsFinite(norm))
        {
            var coef = (clip.MaxNorm / (total + 1e-6)).clamp_max(1.0); // ()
            foreach (var g in grads) g.mul_(coef.to_type(g.dtype));
        }
        return norm;
    }

    private TrainingDivergedException Diverged(long step, double loss, double gradNorm)
    {
        string? last = Checkpointing.TrainingCheckpoint.FindLatest(CheckpointsDirectory);
        string what = !double.IsFinite(loss) ? $"loss is {Show(loss)}" : $"gradient norm is {Show(gradNorm)} (loss {Show(loss)})";
        string keep = last != null ? $"the last good checkpoint is {last}" : "no checkpoint was written yet";
        return new TrainingDivergedException(step,
            $"training diverged at step {step}: {what}; stopped before the update, {keep}. Lower optimizer.lr, add gradient_clipping, or use fp32");
    }

    private static string Show(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The torch seed of micro-batch <paramref name="micro"/> of the step after <paramref name="step"/> completed steps.</summary>
    public static long MicroBatchSeed(long seed, long step, int micro)
    {
        ulong mixed = unchecked((ulong)seed ^ ((ulong)(step + 1) * 0x9E3779B97F4A7C15UL) ^ ((ulong)(micro + 1) * 0xC2B2AE3D27D4EB4FUL));
        return (long)(new SplitMix64(mixed).NextUInt64() >> 1);
    }
}
