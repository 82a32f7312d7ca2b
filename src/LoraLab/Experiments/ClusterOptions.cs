namespace LoraLab.Experiments;

/// <summary>
/// Resources and commands for a cluster job array (Slurm or Kubernetes): one task per grid point, task k running
/// <c>loralab sweep run SWEEP --index k</c>.
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>The sweep file as the job will see it (default: its absolute path here).</summary>
    public string? SweepPath { get; init; }

    /// <summary>The loralab command on the cluster (default "loralab").</summary>
    public string Loralab { get; init; } = "loralab";

    /// <summary>Wall-clock limit per task, Slurm syntax ([D-]HH:MM:SS or minutes; default 24:00:00). Slurm only.</summary>
    public string Time { get; init; } = "24:00:00";

    /// <summary>CPU cores per task (default 8).</summary>
    public int Cpus { get; init; } = 8;

    /// <summary>Memory per task, Slurm syntax (a number with K, M, G or T; default 32G); Kubernetes gets the same in Ki/Mi/Gi/Ti.</summary>
    public string Mem { get; init; } = "32G";

    /// <summary>GPUs per task (default 0).</summary>
    public int Gpus { get; init; }

    /// <summary>Tasks running at once (Slurm <c>%N</c>, Kubernetes parallelism); null: Slurm's limit / all points.</summary>
    public int? MaxParallel { get; init; }

    /// <summary>Slurm partition (optional).</summary>
    public string? Partition { get; init; }

    /// <summary>Slurm account (optional).</summary>
    public string? Account { get; init; }

    /// <summary>Where the task starts (relative paths in the run configs resolve here); default: the current directory. Slurm; optional for
    /// Kubernetes.</summary>
    public string? WorkDir { get; init; }

    /// <summary>Kubernetes: the container image (default "loralab:latest").</summary>
    public string Image { get; init; } = "loralab:latest";

    /// <summary>Kubernetes: the PersistentVolumeClaim holding run_root (default "loralab-runs").</summary>
    public string Pvc { get; init; } = "loralab-runs";

    /// <summary>Kubernetes: where the claim is mounted (default: run_root, so the sweep's paths hold in the pod).</summary>
    public string? MountPath { get; init; }

    /// <summary>Kubernetes: the namespace (optional).</summary>
    public string? Namespace { get; init; }

    /// <summary>Kubernetes: retries of a failed index (backoffLimitPerIndex; default 1).</summary>
    public int Retries { get; init; } = 1;
}
