using System.Diagnostics;
using System.Text.RegularExpressions;
using LoraLab.Experiments;
using LoraLab.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Tests.Experiments;

public class ClusterEmitterTests
{
    private const string Grid = "  method: [lora, full]\n  lora.r: [4, 8]\n  seed: [0, 1, 2]"; // 6 lora + 3 full = 9 points

    /// <summary>A sweep in a folder whose name has a space (the scripts must quote paths).</summary>
    private static (SweepPlan Plan, string SweepPath) Sweep(TempDir dir)
    {
        var sub = Directory.CreateDirectory(Path.Combine(dir.Path, "my sweeps"));
        string path = SweepFiles.Write(dir, Grid);
        string moved = Path.Combine(sub.FullName, "sweep.yaml");
        File.Move(path, moved);
        return (SweepPlan.Load(moved), moved);
    }

    /// <summary>A stand-in for the loralab command that writes its arguments, one per line, to $ARGS_OUT.</summary>
    private static string FakeLoralab(TempDir dir)
    {
        string path = dir.File("fake loralab");
        File.WriteAllText(path, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$ARGS_OUT\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static (int Exit, string Err) Shell(string shell, IEnumerable<string> args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(shell) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        return (p.ExitCode, err);
    }

    private static void RequireShell(string shell) => Skip.IfNot(File.Exists(shell), $"{shell} is not installed");

    [SkippableFact]
    public void SlurmScriptIsAValidJobArrayWhoseTaskKRunsPointK()
    {
        RequireShell("/bin/bash");
        using var dir = new TempDir();
        var (plan, sweepPath) = Sweep(dir);
        Assert.Equal(9, plan.Points.Count);
        string loralab = FakeLoralab(dir);
        string script = SlurmEmitter.Emit(plan, new ClusterOptions { Loralab = loralab, WorkDir = dir.Path, MaxParallel = 3, Gpus = 1,
            Partition = "gpu", Time = "2-00:00:00" });
        var lines = script.Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);

        // sbatch reads #SBATCH lines only before the first command: all of them come first, each "--name=value"
        int firstCommand = Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#'));
        var directives = lines.Where(l => l.StartsWith("#SBATCH", StringComparison.Ordinal)).ToList();
        Assert.All(lines.Skip(firstCommand), l => Assert.False(l.StartsWith("#SBATCH", StringComparison.Ordinal)));
        Assert.All(directives, d => Assert.Matches(@"^#SBATCH --[a-z][a-z-]*=(\S+|""[^""]+"")$", d));
        var values = directives.ToDictionary(d => d[10..d.IndexOf('=')], d => d[(d.IndexOf('=') + 1)..].Trim('"'));
        Assert.Equal("0-8%3", values["array"]); // 0 … N−1, at most 3 at once
        Assert.Equal("2-00:00:00", values["time"]);
        Assert.Equal("8", values["cpus-per-task"]);
        Assert.Equal("32G", values["mem"]);
        Assert.Equal("gpu:1", values["gres"]);
        Assert.Equal("gpu", values["partition"]);
        Assert.StartsWith(Path.Combine(plan.RunRoot, "logs") + "/", values["output"]);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"sweep run .* --index ""?\$SLURM_ARRAY_TASK_ID""?$"));

        string file = dir.File("sweep.sbatch");
        File.WriteAllText(file, script);
        Assert.Equal(0, Shell("/bin/bash", ["-n", file], []).Exit); // bash's syntax check

        foreach (int k in new[] { 0, 4, 8 })
        {
            string argsOut = dir.File($"args-{k}.txt");
            var (exit, err) = Shell("/bin/bash", [file], new() { ["SLURM_ARRAY_TASK_ID"] = k.ToString(), ["ARGS_OUT"] = argsOut });
            Assert.True(exit == 0, err);
            var args = File.ReadAllLines(argsOut);
            Assert.Equal(["sweep", "run", sweepPath, "--index", k.ToString()], args);
            Assert.Equal(ListedId(plan, k), plan.At(int.Parse(args[4])).Id);
        }
    }

    /// <summary>The id that `sweep list` prints on the line of index k.</summary>
    private static string ListedId(SweepPlan plan, int k)
    {
        var line = SweepStatusReport.List(plan).Split('\n').Single(l => Regex.IsMatch(l, $@"^\s*{k}\s"));
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    }

    private static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
            node = step is int i ? ((YamlSequenceNode)node).Children[i] : ((YamlMappingNode)node).Children[new YamlScalarNode((string)step)];
        return node;
    }

    private static string Text(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [SkippableFact]
    public void KubernetesManifestIsAnIndexedJobWhoseIndexKRunsPointK()
    {
        RequireShell("/bin/sh");
        using var dir = new TempDir();
        var (plan, sweepPath) = Sweep(dir);
        string loralab = FakeLoralab(dir);
        string manifest = KubernetesEmitter.Emit(plan, new ClusterOptions { Loralab = loralab, Pvc = "lab-runs", MaxParallel = 4, Gpus = 2,
            Mem = "48G", Namespace = "ml" });
        var stream = new YamlStream();
        stream.Load(new StringReader(manifest));
        var root = Assert.Single(stream.Documents).RootNode;

        Assert.Equal("batch/v1", Text(root, "apiVersion"));
        Assert.Equal("Job", Text(root, "kind"));
        Assert.Equal("loralab-study", Text(root, "metadata", "name"));
        Assert.Equal("ml", Text(root, "metadata", "namespace"));
        Assert.Equal("Indexed", Text(root, "spec", "completionMode"));
        Assert.Equal("9", Text(root, "spec", "completions"));
        Assert.Equal("4", Text(root, "spec", "parallelism"));
        Assert.Equal("Never", Text(root, "spec", "template", "spec", "restartPolicy"));
        var container = At(root, "spec", "template", "spec", "containers", 0);
        Assert.Equal("loralab:latest", Text(container, "image"));
        Assert.Equal("48Gi", Text(container, "resources", "limits", "memory"));
        Assert.Equal("2", Text(container, "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("runs", Text(container, "volumeMounts", 0, "name"));
        Assert.Equal(plan.RunRoot, Text(container, "volumeMounts", 0, "mountPath"));
        Assert.Equal("runs", Text(root, "spec", "template", "spec", "volumes", 0, "name"));
        Assert.Equal("lab-runs", Text(root, "spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"));

        var command = ((YamlSequenceNode)At(container, "command")).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
        Assert.Equal(["/bin/sh", "-c"], command.Take(2));
        Assert.Matches(@"--index ""?\$JOB_COMPLETION_INDEX""?$", command[2]);

        // what the pod of completion index k runs (the Job controller sets JOB_COMPLETION_INDEX)
        foreach (int k in new[] { 0, 5, 8 })
        {
            string argsOut = dir.File($"k8s-{k}.txt");
            var (exit, err) = Shell(command[0], command.Skip(1), new() { ["JOB_COMPLETION_INDEX"] = k.ToString(), ["ARGS_OUT"] = argsOut });
            Assert.True(exit == 0, err);
            var args = File.ReadAllLines(argsOut);
            Assert.Equal(["sweep", "run", sweepPath, "--index", k.ToString()], args);
            Assert.Equal(ListedId(plan, k), plan.At(int.Parse(args[4])).Id);
        }
    }

    [Fact]
    public void BadClusterOptionsAreRejected()
    {
        using var dir = new TempDir();
        var (plan, _) = Sweep(dir);
        Assert.Contains("--time", Assert.Throws<LoraLabException>(() => SlurmEmitter.Emit(plan, new ClusterOptions { Time = "a day" })).Message);
        Assert.Contains("--mem", Assert.Throws<LoraLabException>(() => SlurmEmitter.Emit(plan, new ClusterOptions { Mem = "lots" })).Message);
        Assert.Contains("--cpus", Assert.Throws<LoraLabException>(() => KubernetesEmitter.Emit(plan, new ClusterOptions { Cpus = 0 })).Message);
        Assert.Contains("--pvc", Assert.Throws<LoraLabException>(() => KubernetesEmitter.Emit(plan, new ClusterOptions { Pvc = "My_Claim" })).Message);
        Assert.Equal("500Mi", KubernetesEmitter.KubernetesMemory("500")); // Slurm's default unit is megabytes
        Assert.Equal("1Ti", KubernetesEmitter.KubernetesMemory("1T"));
        Assert.Equal("loralab-lr-rank-sweep-2", KubernetesEmitter.JobName("LR rank_sweep #2"));
    }
}
