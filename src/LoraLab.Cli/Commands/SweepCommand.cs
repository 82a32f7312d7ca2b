using System.CommandLine;
using LoraLab.Experiments;

namespace LoraLab.Cli.Commands;

/// <summary>
/// <c>loralab sweep run|status|list|emit</c>: grids of runs (method × rank × lr × targets × duration × seed …) from a
/// sweep file, resumable, indexed in run_root/index.sqlite, and cluster job arrays (Slurm, Kubernetes Indexed Job).
/// The trainer behind <c>run</c> comes from <see cref="SweepRunners.Default"/>.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var command = new Command("sweep", "Run a grid of finetuning runs from a sweep file, follow it, or emit cluster job arrays.");
        command.Subcommands.Add(CreateRun());
        command.Subcommands.Add(CreateStatus());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateEmit());
        return command;
    }

    private static Argument<FileInfo> FileArgument() => new("file") { Description = "The sweep YAML file." };

    private static Command CreateRun()
    {
        var file = FileArgument();
        var index = new Option<int?>("--index") { Description = "Run only the point at this 0-based index of 'sweep list' (a cluster array task)." };
        var failFast = new Option<bool>("--fail-fast") { Description = "Stop at the first failed point (default: record it and go on)." };
        var command = new Command("run", "Train and evaluate every unfinished point (those without an ok run_root/POINT/result.json).") { file, index,
            failFast };
        command.SetAction((parse, ct) => Task.FromResult(CliRunner.Run(() =>
        {
            var plan = SweepPlan.Load(parse.GetValue(file)!.FullName);
            var options = new SweepRunOptions { Index = parse.GetValue(index), FailFast = parse.GetValue(failFast), Log = Console.Out };
            SweepRunSummary summary;
            try
            {
                summary = SweepRunner.Run(plan, () => SweepRunners.Resolve(plan), options, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine("cancelled; unfinished points run again on the next 'sweep run'");
                return 130;
            }
            Console.WriteLine($"{summary.Ran} run, {summary.Skipped} skipped (finished), {summary.Failed} failed" +
                (summary.StoppedEarly ? "; stopped at the first failure (--fail-fast)" : ""));
            return summary.Failed > 0 ? 1 : 0;
        })));
        return command;
    }

    private static Command CreateStatus()
    {
        var file = FileArgument();
        var command = new Command("status", "Update run_root/index.sqlite from the result.json files and print each point's status and scores.") { file };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var plan = SweepPlan.Load(parse.GetValue(file)!.FullName);
            using var index = SweepIndex.Open(plan.RunRoot);
            index.Sync(plan.RunRoot);
            Console.Write(SweepStatusReport.Format(plan, index.Rows()));
            Console.WriteLine($"index: {index.Path}");
            return 0;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var file = FileArgument();
        var command = new Command("list", "Print the expanded grid: index (for --index), point id and overrides.") { file };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            Console.Write(SweepStatusReport.List(SweepPlan.Load(parse.GetValue(file)!.FullName)));
            return 0;
        }));
        return command;
    }

    private static Command CreateEmit()
    {
        var file = FileArgument();
        var slurm = new Option<bool>("--slurm") { Description = "Emit a Slurm job-array script (sbatch)." };
        var k8s = new Option<bool>("--k8s") { Description = "Emit a Kubernetes Indexed Job manifest (kubectl apply -f)." };
        var output = new Option<FileInfo?>("--out") { Description = "Write here instead of standard output." };
        var defaults = new ClusterOptions();
        var time = new Option<string>("--time") { Description = "Slurm: time limit per task.", DefaultValueFactory = _ => defaults.Time };
        var cpus = new Option<int>("--cpus") { Description = "CPU cores per task.", DefaultValueFactory = _ => defaults.Cpus };
        var mem = new Option<string>("--mem") { Description = "Memory per task (Slurm syntax, e.g. 32G).", DefaultValueFactory = _ => defaults.Mem };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per task.", DefaultValueFactory = _ => defaults.Gpus };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "Tasks running at once (default: no limit)." };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition." };
        var account = new Option<string?>("--account") { Description = "Slurm account." };
        var loralab = new Option<string>("--loralab") { Description = "The loralab command on the cluster.", DefaultValueFactory = _ => defaults.Loralab };
        var sweepPath = new Option<string?>("--sweep-path") { Description = "The sweep file's path as the job sees it (default: its absolute path here)." };
        var workDir = new Option<string?>("--workdir") { Description = "Where tasks start (default for Slurm: the current directory)." };
        var image = new Option<string>("--image") { Description = "Kubernetes: container image.", DefaultValueFactory = _ => defaults.Image };
        var pvc = new Option<string>("--pvc") { Description = "Kubernetes: PersistentVolumeClaim holding run_root.", DefaultValueFactory = _ => defaults.Pvc };
        var mountPath = new Option<string?>("--mount-path") { Description = "Kubernetes: where the claim is mounted (default: run_root)." };
        var ns = new Option<string?>("--namespace") { Description = "Kubernetes: namespace." };
        var retries = new Option<int>("--retries") { Description = "Kubernetes: retries of a failed index.", DefaultValueFactory = _ => defaults.Retries };
        var command = new Command("emit", "Write a cluster job array with one task per point: task k runs 'loralab sweep run FILE --index k'.")
        {
            file, slurm, k8s, output, time, cpus, mem, gpus, maxParallel, partition, account, loralab, sweepPath, workDir, image, pvc, mountPath, ns, retries,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            bool isSlurm = parse.GetValue(slurm), isK8s = parse.GetValue(k8s);
            if (isSlurm == isK8s) throw new LoraLabException("sweep emit: give exactly one of --slurm or --k8s");
            var plan = SweepPlan.Load(parse.GetValue(file)!.FullName);
            var options = new ClusterOptions
            {
                Time = parse.GetValue(time)!, Cpus = parse.GetValue(cpus), Mem = parse.GetValue(mem)!, Gpus = parse.GetValue(gpus),
                MaxParallel = parse.GetValue(maxParallel), Partition = parse.GetValue(partition), Account = parse.GetValue(account),
                Loralab = parse.GetValue(loralab)!, SweepPath = parse.GetValue(sweepPath), WorkDir = parse.GetValue(workDir),
                Image = parse.GetValue(image)!, Pvc = parse.GetValue(pvc)!, MountPath = parse.GetValue(mountPath),
                Namespace = parse.GetValue(ns), Retries = parse.GetValue(retries),
            };
            string text = isSlurm ? SlurmEmitter.Emit(plan, options) : KubernetesEmitter.Emit(plan, options);
            if (isSlurm) CreateLogDir(SlurmEmitter.LogDir(plan));
            if (parse.GetValue(output) is FileInfo outFile)
            {
                AtomicFile.WriteAllText(outFile.FullName, text);
                if (isSlurm && !OperatingSystem.IsWindows())
                    File.SetUnixFileMode(outFile.FullName,
                        File.GetUnixFileMode(outFile.FullName) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                Console.Error.WriteLine($"{(isSlurm ? "Slurm script" : "Kubernetes Job")} for {plan.Points.Count} points: {outFile.FullName}");
            }
            else
            {
                Console.Write(text);
            }
            return 0;
        }));
        return command;
    }

    private static void CreateLogDir(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"note: cannot create the Slurm log folder {dir} here ({e.Message}); create it before submitting");
        }
    }
}
