using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LoraLab.Experiments;

/// <summary>
/// Writes a Slurm job-array script for a sweep: <c>#SBATCH --array=0-(N−1)</c>, and each array task runs
/// <c>loralab sweep run SWEEP --index "$SLURM_ARRAY_TASK_ID"</c> — task k trains point k of <c>sweep list</c>.
/// Logs go to <c>run_root/logs/</c> (the CLI creates it: Slurm does not).
/// </summary>
public static partial class SlurmEmitter
{
    public static string Emit(SweepPlan plan, ClusterOptions o)
    {
        int n = plan.Points.Count;
        Check(o);
        string sweepPath = o.SweepPath ?? Path.GetFullPath(plan.Definition.SourceFile);
        string workDir = o.WorkDir ?? Directory.GetCurrentDirectory();
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(CultureInfo.InvariantCulture, $"# LoraLab sweep '{plan.Definition.Name}': {n} points; array task k runs point k of 'loralab sweep list'.\n");
        sb.Append("# Submit with: sbatch THIS_FILE    Progress: loralab sweep status SWEEP\n");
        Directive(sb, "job-name", JobName(plan.Definition.Name));
        Directive(sb, "array", $"0-{n - 1}" + (o.MaxParallel is int p ? "%" + p.ToString(CultureInfo.InvariantCulture) : ""));
        Directive(sb, "time", o.Time);
        Directive(sb, "nodes", "1");
        Directive(sb, "ntasks", "1");
        Directive(sb, "cpus-per-task", o.Cpus.ToString(CultureInfo.InvariantCulture));
        Directive(sb, "mem", o.Mem);
        if (o.Gpus > 0) Directive(sb, "gres", "gpu:" + o.Gpus.ToString(CultureInfo.InvariantCulture));
        if (o.Partition != null) Directive(sb, "partition", o.Partition);
        if (o.Account != null) Directive(sb, "account", o.Account);
        Directive(sb, "output", Path.Combine(LogDir(plan), "%x-%A_%a.out"));
        sb.Append("\nset -euo pipefail\n");
        sb.Append(CultureInfo.InvariantCulture, $"cd {ShellText.Quote(workDir)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"exec {ShellText.Quote(o.Loralab)} sweep run {ShellText.Quote(sweepPath)} --index \"$SLURM_ARRAY_TASK_ID\"\n");
        return sb.ToString();
    }

    /// <summary>The folder the script's <c>--output</c> points into: <c>run_root/logs</c>.</summary>
    public static string LogDir(SweepPlan plan) => Path.Combine(plan.RunRoot, "logs");

    /// <summary>An <c>#SBATCH --name=value</c> line; sbatch's own parser takes a double-quoted value with spaces.</summary>
    private static void Directive(StringBuilder sb, string name, string value)
    {
        if (value.Contains('"') || value.Contains('\n') || value.Length == 0)
            throw new LoraLabException($"slurm --{name}: '{value}' cannot be written on an #SBATCH line (empty, or has a quote or newline)");
        string text = value.Any(char.IsWhiteSpace) ? $"\"{value}\"" : value;
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --{name}={text}\n");
    }

    private static void Check(ClusterOptions o)
    {
        if (!TimePattern().IsMatch(o.Time)) throw new LoraLabException($"--time '{o.Time}': use Slurm's syntax, e.g. 24:00:00, 2-00:00:00 or 90 (minutes)");
        if (!MemPattern().IsMatch(o.Mem)) throw new LoraLabException($"--mem '{o.Mem}': use a number with K, M, G or T, e.g. 32G");
        if (o.Cpus < 1) throw new LoraLabException($"--cpus {o.Cpus}: must be ≥ 1");
        if (o.Gpus < 0) throw new LoraLabException($"--gpus {o.Gpus}: must be ≥ 0");
        if (o.MaxParallel is < 1) throw new LoraLabException($"--max-parallel {o.MaxParallel}: must be ≥ 1");
    }

    /// <summary>The job name: the sweep name with characters outside [A-Za-z0-9._-] replaced by '_'.</summary>
    public static string JobName(string name) => "loralab-" + NotJobChar().Replace(name, "_");

    [GeneratedRegex(@"^(\d+-)?\d+(:\d{1,2}){0,2}$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^\d+[KMGT]?$")]
    internal static partial Regex MemPattern();

    [GeneratedRegex(@"[^A-Za-z0-9._-]")]
    private static partial Regex NotJobChar();
}
