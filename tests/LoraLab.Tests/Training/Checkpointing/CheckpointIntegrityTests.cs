using LoraLab.Tests.TestSupport;
using LoraLab.Training.Checkpointing;

namespace LoraLab.Tests.Training.Checkpointing;

/// <summary>
/// Checkpoints are renamed into place complete, so a step-* directory without its manifest is damage, not a save in
/// progress: resuming refuses it (naming it) rather than silently starting again from an earlier step or from 0.
/// Temporaries of interrupted saves (".tmp-*") are never taken for checkpoints and are removed at the next start.
/// </summary>
public class CheckpointIntegrityTests
{
    [Fact]
    public void StepDirectoryWithoutManifestIsRefused()
    {
        using var dir = new TempDir();
        string damaged = Directory.CreateDirectory(dir.File("checkpoints/step-000004")).FullName;
        File.WriteAllText(Path.Combine(damaged, TrainingCheckpoint.ModelFile), "x");
        var e = Assert.Throws<LoraLabException>(() => TrainingCheckpoint.FindLatest(dir.File("checkpoints")));
        Assert.StartsWith(damaged + ":", e.Message);
        Assert.Contains(TrainingCheckpoint.ManifestFile, e.Message);
    }

    [Fact]
    public void TemporariesAreNotCheckpointsAndAreRemoved()
    {
        using var dir = new TempDir();
        string run = dir.Path;
        string[] temps =
        [
            Directory.CreateDirectory(dir.File(".tmp-final-1a2b3c4d")).FullName,
            Directory.CreateDirectory(dir.File(".tmp-final-merged-1a2b3c4d")).FullName,
            Directory.CreateDirectory(dir.File(".tmp-old-final-0123456789abcdef0123456789abcdef")).FullName,
            Directory.CreateDirectory(dir.File("checkpoints/.tmp-step-000002-1a2b3c4d")).FullName,
        ];
        File.WriteAllText(dir.File("run_config.yaml.tmp-1a2b3c4d"), "half");
        File.WriteAllText(dir.File("keep.txt"), "user file");
        Assert.Null(TrainingCheckpoint.FindLatest(dir.File("checkpoints")));
        TrainingCheckpoint.RemoveTemporaries(run);
        Assert.All(temps, t => Assert.False(Directory.Exists(t), t));
        Assert.False(File.Exists(dir.File("run_config.yaml.tmp-1a2b3c4d")));
        Assert.True(File.Exists(dir.File("keep.txt")));
    }
}
