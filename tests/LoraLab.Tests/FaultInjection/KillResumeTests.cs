using System.Diagnostics;
using LoraLab.Tests.TestSupport;

namespace LoraLab.Tests.FaultInjection;

/// <summary>
/// kill -9 of `loralab train` at seeded random moments — during the token cache build, training, checkpoint saves and the
/// final save — then `--resume` until it completes: the final weights are byte-identical to an uninterrupted run's, and
/// no temporary (".tmp-*" directories, "*.tmp-*" files) survives the successful resume. Both tests are Slow (each
/// trains stories260K several times); <see cref="KilledRunsResumeBitwise"/> makes a few trials, the other many more.
/// </summary>
[Collection(Collection)]
public class KillResumeTests
{
    public const string Collection = "kill -9 trials";

    /// <summary>One random-kill trial per method, and for LoRA (final/ and final-merged/) a final-save kill.</summary>
    [SkippableTheory]
    [InlineData("lora", 1, true)]
    [InlineData("full", 1, false)]
    [Trait("Category", "Slow")]
    public void KilledRunsResumeBitwise(string method, int trials, bool finalSave) => Trials(method, trials, finalSave, seed: 11);

    [SkippableTheory]
    [Trait("Category", "Slow")]
    [InlineData("lora", 6)]
    [InlineData("full", 4)]
    public void ManyKilledRunsResumeBitwise(string method, int trials) => Trials(method, trials, finalSave: true, seed: 1234);

    private static void Trials(string method, int trials, bool finalSave, int seed)
    {
        using var dir = new TempDir();
        var setup = new KillRun(dir, method);
        var clock = Stopwatch.StartNew();
        string reference = setup.Reference();
        double full = clock.Elapsed.TotalSeconds;
        var random = new Random(seed);
        for (int t = 0; t < trials; t++)
        {
            string run = setup.RunDir($"trial-{t}");
            // One or two kills per trial, each at a uniformly random moment of a run's wall time.
            int kills = 1 + random.Next(2);
            for (int k = 0; k < kills; k++)
            {
                using var p = setup.Start(run, resume: k > 0);
                if (!p.WaitForExit(TimeSpan.FromSeconds(random.NextDouble() * full))) p.Kill();
                p.WaitForExit();
            }
            setup.ResumeToCompletion(run);
            setup.AssertSameFinal(reference, run);
        }
        if (finalSave) KillDuringTheFinalSave(setup, reference);
    }

    /// <summary>
    /// Kills the moment the final save's temporary directory appears (best effort: a tiny model saves in milliseconds, so
    /// the kill may land just after), resumes; then builds by hand the state a kill between the final save's two renames
    /// leaves (final/ set aside, a partial .tmp-final-*, a half-written run file) and resumes again.
    /// </summary>
    private static void KillDuringTheFinalSave(KillRun setup, string reference)
    {
        string run = setup.RunDir("final-kill");
        using (var p = setup.Start(run, resume: false))
        {
            var clock = Stopwatch.StartNew();
            while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                if (Directory.Exists(run) && Directory.EnumerateDirectories(run, ".tmp-final*").Any())
                {
                    p.Kill();
                    break;
                }
                Thread.Sleep(1);
            }
            p.WaitForExit();
        }
        setup.ResumeToCompletion(run);
        setup.AssertSameFinal(reference, run);

        string final = Path.Combine(run, "final");
        Directory.Move(final, Path.Combine(run, ".tmp-old-final-0123456789abcdef0123456789abcdef"));
        string partial = Directory.CreateDirectory(Path.Combine(run, ".tmp-final-1a2b3c4d")).FullName;
        File.WriteAllBytes(Path.Combine(partial, "model.safetensors"), new byte[10]);
        File.WriteAllText(Path.Combine(run, "run_config.yaml.tmp-1a2b3c4d"), "half");
        setup.ResumeToCompletion(run);
        setup.AssertSameFinal(reference, run);
    }
}
