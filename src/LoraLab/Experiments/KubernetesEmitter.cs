using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LoraLab.Experiments;

/// <summary>
/// Writes a Kubernetes Indexed Job for a sweep (<c>batch/v1</c> Job, <c>completionMode: Indexed</c>,
/// <c>completions: N</c>): the pod of completion index k runs <c>loralab sweep run SWEEP --index $JOB_COMPLETION_INDEX</c>
/// (the Job controller sets that variable), i.e. point k of <c>sweep list</c>. A PersistentVolumeClaim is mounted at
/// run_root (by default) so every pod writes its results to the shared run directory; the sweep file must be visible
/// in the pod at <see cref="ClusterOptions.SweepPath"/> (put it on the claim or in the image).
/// A failed index is retried <see cref="ClusterOptions.Retries"/> times (<c>backoffLimitPerIndex</c>, Kubernetes ≥ 1.29)
/// without failing the other indexes.
/// </summary>
public static partial class KubernetesEmitter
{
    public static string Emit(SweepPlan plan, ClusterOptions o)
    {
        int n = plan.Points.Count;
        if (o.Cpus < 1) throw new LoraLabException($"--cpus {o.Cpus}: must be ≥ 1");
        if (o.Gpus < 0) throw new LoraLabException($"--gpus {o.Gpus}: must be ≥ 0");
        if (o.MaxParallel is < 1) throw new LoraLabException($"--max-parallel {o.MaxParallel}: must be ≥ 1");
        if (o.Retries < 0) throw new LoraLabException($"--retries {o.Retries}: must be ≥ 0");
        if (!Dns1123().IsMatch(o.Pvc)) throw new LoraLabException($"--pvc '{o.Pvc}': a claim name is lowercase letters, digits and '-'");
        string sweepPath = o.SweepPath ?? Path.GetFullPath(plan.Definition.SourceFile);
        string mountPath = o.MountPath ?? plan.RunRoot;
        string script = $"exec {ShellText.Quote(o.Loralab)} sweep run {ShellText.Quote(sweepPath)} --index \"$JOB_COMPLETION_INDEX\"";

        var metadata = Map(("name", Str(JobName(plan.Definition.Name))));
        if (o.Namespace != null) metadata.Add("namespace", Str(o.Namespace));
        metadata.Add("labels", Map(("app.kubernetes.io/name", Str("loralab-sweep")), ("loralab/sweep", Str(LabelValue(plan.Definition.Name)))));

        var resources = Map(("cpu", Str(o.Cpus.ToString(CultureInfo.InvariantCulture))), ("memory", Str(KubernetesMemory(o.Mem))));
        var limits = Map(("cpu", Str(o.Cpus.ToString(CultureInfo.InvariantCulture))), ("memory", Str(KubernetesMemory(o.Mem))));
        if (o.Gpus > 0) limits.Add("nvidia.com/gpu", Int(o.Gpus));

        var container = Map(
            ("name", Str("sweep")),
            ("image", Str(o.Image)),
            ("command", Seq(Str("/bin/sh"), Str("-c"), Str(script))));
        if (o.WorkDir != null) container.Add("workingDir", Str(o.WorkDir));
        container.Add("resources", Map(("requests", resources), ("limits", limits)));
        container.Add("volumeMounts", Seq(Map(("name", Str("runs")), ("mountPath", Str(mountPath)))));

        var podSpec = Map(
            ("restartPolicy", Str("Never")),
            ("containers", Seq(container)),
            ("volumes", Seq(Map(("name", Str("runs")), ("persistentVolumeClaim", Map(("claimName", Str(o.Pvc))))))));

        var root = Map(
            ("apiVersion", Str("batch/v1")),
            ("kind", Str("Job")),
            ("metadata", metadata),
            ("spec", Map(
                ("completionMode", Str("Indexed")),
                ("completions", Int(n)),
                ("parallelism", Int(Math.Min(n, o.MaxParallel ?? n))),
                ("backoffLimitPerIndex", Int(o.Retries)),
                ("template", Map(("metadata", Map(("labels", Map(("app.kubernetes.io/name", Str("loralab-sweep")))))), ("spec", podSpec))))));

        var writer = new StringWriter { NewLine = "\n" };
        writer.Write($"# LoraLab sweep '{plan.Definition.Name}': {n} points; completion index k runs point k of 'loralab sweep list'.\n");
        writer.Write("# Apply with: kubectl apply -f THIS_FILE\n");
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        string text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text; // drop the explicit document end marker
    }

    /// <summary>"loralab-" + the sweep name as a DNS-1123 label (lowercase, digits, '-'), at most 52 characters (pods add a suffix).</summary>
    public static string JobName(string name)
    {
        string s = NotDns().Replace(name.ToLowerInvariant(), "-").Trim('-');
        string full = ("loralab-" + s).TrimEnd('-');
        return full.Length <= 52 ? full : full[..52].TrimEnd('-');
    }

    /// <summary>Slurm memory (32G, 500M, 1T, or a bare number of megabytes) in Kubernetes' binary units (32Gi, 500Mi, …).</summary>
    public static string KubernetesMemory(string slurm)
    {
        if (!SlurmEmitter.MemPattern().IsMatch(slurm)) throw new LoraLabException($"--mem '{slurm}': use a number with K, M, G or T, e.g. 32G");
        char last = slurm[^1];
        return char.IsDigit(last) ? slurm + "Mi" : slurm[..^1] + last + "i";
    }

    private static string LabelValue(string name)
    {
        string s = Regex.Replace(name, "[^A-Za-z0-9._-]", "-").Trim('-', '.', '_');
        return s.Length <= 63 ? s : s[..63].TrimEnd('-', '.', '_');
    }

    private static YamlMappingNode Map(params (string Key, YamlNode Value)[] entries)
    {
        var m = new YamlMappingNode();
        foreach (var (k, v) in entries) m.Add(k, v);
        return m;
    }

    private static YamlSequenceNode Seq(params YamlNode[] items) => new(items);

    private static YamlScalarNode Str(string s) => new(s) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Int(int i) => new(i.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotDns();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123();
}
